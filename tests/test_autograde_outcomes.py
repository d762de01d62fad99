"""Outcomes of `autograde`: French, specific reasons; repair notes that survive a second
grading; the sandbox launcher's own reason reaching the trainer."""

from __future__ import annotations

import copy

import pytest

from ecole_ia.contract import fill_answers
from ecole_ia.notebooks import dumps, nbgrader_meta, read_notebook, solution_cells
from ecole_ia.grading import execute
from ecole_ia.trainer import autograde, release

import minicourse
from minicourse import ASSIGNMENT

NB = f"{ASSIGNMENT}.ipynb"


def _submit(course, learner, nb):
    folder = course.grading / "submitted" / learner / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NB).write_text(dumps(nb), "utf-8")
    return folder / NB


def _full(course):
    student = read_notebook(course.exercises / ASSIGNMENT / NB)
    source = read_notebook(course.solutions / ASSIGNMENT / NB)
    return fill_answers(student, {g: source.cells[i].source
                                  for g, i in solution_cells(source).items()})


@pytest.fixture
def course(tmp_path):
    return minicourse.make(tmp_path / "course")


def test_repair_notes_are_kept_for_a_second_grading(course):
    """The first grading rewrites the damaged file; the second finds nothing to repair but
    must still report what was repaired, as long as the file is the one repair wrote."""
    nb = copy.deepcopy(_full(course))
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != "q2-tests"]
    path = _submit(course, "abimee", nb)
    notes, graded = autograde.repair_submission(course, ASSIGNMENT, "abimee")
    assert any("« q2-tests » supprimée" in n for n in notes)
    again, same = autograde.repair_submission(course, ASSIGNMENT, "abimee", (graded, notes))
    assert (again, same) == (notes, graded)
    # A new version of the file (collected again) is not given the old notes.
    path.write_text(dumps(fill_answers(_full(course), {"q1-reponse": "def carre(x):\n"
                                                                      "    return x ** 2"})))
    assert autograde.repair_submission(course, ASSIGNMENT, "abimee", (graded, notes))[0] == []


def test_failure_kinds_come_from_exception_types_and_speak_french():
    """The kind of a failure comes from typed facts (the exception nbgrader caught, what the
    execution step recorded, the sandbox's refusal), never from log text; each kind has one
    French sentence naming the log, never a bare "[ERROR]" or an English nbgrader line."""
    import json

    import sqlalchemy.exc
    from nbclient.exceptions import DeadKernelError
    from nbgrader.nbgraderformat.common import SchemaTooOldError

    from ecole_ia.grading.messages import FAILURES, Failure

    log = "/x/grading/logs/worker-42.log"
    execute.incidents.clear()
    cases = {
        Failure.UNEXPECTED: RuntimeError("There was an error processing assignment: boom"),
        Failure.KERNEL_DIED: DeadKernelError("Kernel died"),
        Failure.NOT_A_NOTEBOOK: json.JSONDecodeError("Expecting value", "{", 0),
        Failure.NOTEBOOK_MISSING: FileNotFoundError("mini-carres.ipynb"),
        Failure.BAD_METADATA: SchemaTooOldError("old", 1, 3),
        Failure.GRADEBOOK: sqlalchemy.exc.OperationalError("SELECT", {}, Exception("locked")),
    }
    for expected, cause in cases.items():
        kind, sentence = autograde.failure_reason(cause, None, log)
        assert kind is expected, (cause, kind)
        assert "[ERROR]" not in sentence and "boom" not in sentence and "locked" not in sentence
        assert sentence == sentence.strip() and sentence[0].islower()
    kind, sentence = autograde.failure_reason(
        RuntimeError("Kernel died before replying to kernel_info"),
        "isolation failed, kernel not started: mount: EINVAL", log)
    assert kind is Failure.SANDBOX_REFUSED
    assert "bac à sable" in sentence and "mount: EINVAL" in sentence and "worker-42.log" in sentence
    execute.incidents.append(("kernel_start", "Kernel didn't respond in 60 seconds"))
    try:
        kind, sentence = autograde.failure_reason(RuntimeError("anything"), None, log)
    finally:
        execute.incidents.clear()
    assert kind is Failure.KERNEL_NOT_STARTED and "n'a pas démarré" in sentence
    assert "worker-42.log" in sentence
    assert set(FAILURES) == set(Failure), "every kind of failure has its French sentence"


def test_nbgrader_s_caught_exception_reaches_the_caller(course):
    """nbgrader logs a submission's exception and raises its own: the facade keeps the
    original (its type), so nothing has to parse the log."""
    from ecole_ia.grading import grader

    release.register(course, ASSIGNMENT)
    config = grader.course_config(course)
    config.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput", "ecole_ia.grading.repair.RebuildOnRelease",
        "tests_boom.Boom"]
    path = _submit(course, "boum", _full(course))
    import sys
    import types

    from nbgrader.preprocessors import NbGraderPreprocessor

    class Boom(NbGraderPreprocessor):
        def preprocess(self, nb, resources):
            raise LookupError("boom")

    module = types.ModuleType("tests_boom")
    module.Boom = Boom
    sys.modules["tests_boom"] = module
    try:
        with pytest.raises(grader.GraderError) as error:
            grader.autograde(config, ASSIGNMENT, "boum")
    finally:
        del sys.modules["tests_boom"]
    assert type(error.value.cause) is LookupError and path.is_file()


@pytest.mark.slow
def test_a_sandbox_failure_after_the_probe_reaches_the_trainer(course, monkeypatch):
    """The probe passed, then the launcher refused to start kernels: the outcome gives the
    launcher's own reason and the worker's log file, not "le noyau s'est arrêté"."""
    from ecole_ia.grading import sandbox

    if sandbox.probe() is not None:
        pytest.skip("no namespace sandbox on this machine")
    real = sandbox.default_plan

    def broken_plan(course_root, uid, limits=None):
        plan = real(course_root, uid, limits)
        if course_root is not None:  # the probe's plan (no course) stays sound
            plan.uid = 2**32  # no such user id: the launcher cannot drop to it
        return plan

    monkeypatch.setattr(sandbox, "default_plan", broken_plan)
    release.register(course, ASSIGNMENT)
    _submit(course, "honnete", _full(course))
    [result] = autograde.autograde_all(course, ASSIGNMENT, workers=1, timeout=20)
    assert result.status == "rejected", result
    assert "bac à sable" in result.reason and "kernel not started" in result.reason
    assert "grading/logs/worker-" in result.reason


def test_outcome_records_are_versioned_and_a_damaged_file_is_never_overwritten(course):
    """Version 2 files are written; version 1 files (the mapping alone) are still read; a
    damaged or newer file stops grading with what to do, and is left as it is."""
    import json

    from ecole_ia.errors import CourseError

    path = autograde.status_file(course, ASSIGNMENT)
    path.parent.mkdir(parents=True, exist_ok=True)
    row = autograde.GradeResult("ada", ASSIGNMENT, "graded", score=4, max_score=4,
                                questions=[autograde.QuestionResult("q1-tests", 1, 1)])
    from dataclasses import asdict

    path.write_text(json.dumps({"ada": asdict(row)}), "utf-8")  # version 1
    assert autograde.load_results(course, ASSIGNMENT)["ada"].score == 4
    autograde.save_results(course, ASSIGNMENT, [autograde.GradeResult("bob", ASSIGNMENT,
                                                                      "rejected", reason="x")])
    data = json.loads(path.read_text("utf-8"))
    assert (data["record"], data["version"]) == ("outcomes", 2)
    assert set(data["data"]) == {"ada", "bob"}
    for damaged in ('{"ada": {"learner": "ada"', '{"record": "outcomes", "version": 9}',
                    '[1, 2]'):
        path.write_text(damaged, "utf-8")
        with pytest.raises(CourseError) as error:
            autograde.save_results(course, ASSIGNMENT, [row])
        assert str(path) in str(error.value)
        assert path.read_text("utf-8") == damaged


def test_collect_and_received_records_share_the_versioned_shape(tmp_path):
    """Every trainer record is {record, version, data}, written atomically; older files (the
    data alone) are read; a record of another kind or version stops with its path."""
    import json

    from ecole_ia.errors import CourseError
    from ecole_ia.trainer import records

    path = tmp_path / "status" / "a-collect.json"
    records.write(path, "collect", {"ada": {"late_seconds": 0}})
    assert json.loads(path.read_text("utf-8"))["record"] == "collect"
    assert records.read(path, "collect") == {"ada": {"late_seconds": 0}}
    legacy = tmp_path / "received.json"
    legacy.write_text('{"source": "x.ipynb", "rejected": null}', "utf-8")
    assert records.read(legacy, "received")["source"] == "x.ipynb"
    with pytest.raises(CourseError) as error:
        records.read(path, "received")
    assert str(path) in str(error.value) and "'collect'" in str(error.value)
    assert not list(path.parent.glob(".*.tmp"))


@pytest.mark.slow
def test_a_warning_in_correct_code_costs_no_point(course):
    """nbgrader alone gives 0 to a test cell that wrote on stderr: a correct answer whose
    library warns (pandas' FutureWarning) would lose the question while `ecole-ia check`
    says it passes. Only a failing test costs points; a wrong answer still does."""
    warns = ("import warnings\n\ndef carre(x):\n"
             "    warnings.warn('bientôt obsolète', FutureWarning)\n    return x * x\n")
    wrong = ("import sys\n\ndef somme(valeurs):\n    print('trace', file=sys.stderr)\n"
             "    return 0\n")
    release.register(course, ASSIGNMENT)
    _submit(course, "prudente", fill_answers(_full(course), {"q1-reponse": warns,
                                                              "q2-reponse": wrong}))
    [result] = autograde.autograde_all(course, ASSIGNMENT, ["prudente"], workers=1,
                                       timeout=20, isolate=False)
    scores = {q.grade_id: q.score for q in result.questions}
    assert scores.get("q1-tests") == 1, result  # warned, correct: full marks
    assert scores["q2-tests"] == 0, result  # wrong (and printing on stderr): no mark
    assert result.score == 3
