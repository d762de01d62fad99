"""Hand grading end to end: a trainer scores the criteria of a grid in a real formgrader (a
Jupyter server on loopback, through its REST API); the feedback pages, notes.csv, the
competency report and `ecole-ia report` follow, and what is not graded yet says so."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest
import requests
import yaml
from typer.testing import CliRunner

from ecole_ia import build
from ecole_ia.grading import grader
from ecole_ia.cli import app
from ecole_ia.contract import fill_answers
from ecole_ia.grading.hand_grades import UNANSWERED
from ecole_ia.notebooks import read_notebook, write_notebook
from ecole_ia.syllabus import load_syllabus
from ecole_ia.trainer import autograde, reports, workflow
from ecole_ia.trainer.hand_grading import PENDING, WAITING, read_marks, standings
from ecole_ia.trainer.roster import import_roster

import minicourse
from minicourse import ASSIGNMENT, _meta

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# The written answer q5 is judged on two criteria of competency C12 (3 points); the four
# tests (4 points) count for C17, which no criterion assesses.
CRITERIA = [
    {"id": "q5-chiffres", "answer": "q5-analyse", "competency": "C12", "title": "Des chiffres",
     "levels": [{"points": 0, "description": "Aucun chiffre."},
                {"points": 0.5, "description": "Un chiffre, sans comparaison."},
                {"points": 2, "description": "Les chiffres utiles, comparés."}]},
    {"id": "q5-clarte", "answer": "q5-analyse", "competency": "C12", "title": "Clarté",
     "levels": [{"points": 0, "description": "Confus."},
                {"points": 1, "description": "Clair pour un viticulteur."}]},
]
ANA, BRUNO, CHLOE = "ana-dupont", "bruno-martin", "chloe-petit"
COMMENT = "Comparez avec la règle des 3-10 : combien de traitements en moins ?"


def make_course(root: Path):
    """The mini course, with a written answer judged on a grid (module: C17 and C12)."""
    course = minicourse.make(root, build=False)
    nb = minicourse.solution_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "## Question 5 — Analyse\n\nQue concluez-vous ?", metadata=_meta("q5-enonce", locked=True)))
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "Réponse modèle : 12 traitements au lieu de 40.",
        metadata=_meta("q5-analyse", grade=True, solution=True, points=3)))
    write_notebook(nb, course.solutions / ASSIGNMENT / NOTEBOOK)
    (course.solutions / ASSIGNMENT / "grid.yml").write_text(
        yaml.safe_dump(CRITERIA, allow_unicode=True), encoding="utf-8")
    syllabus = yaml.safe_load(course.syllabus_file.read_text(encoding="utf-8"))
    syllabus["modules"][0].update(points=7, competencies={"C17": 1, "C12": 2})
    course.syllabus_file.write_text(yaml.safe_dump(syllabus, allow_unicode=True,
                                                   sort_keys=False), encoding="utf-8")
    build.build(course, ASSIGNMENT)
    return course


def autograde_with_settling(course, learners):
    """nbgrader's Autograde with the course's pipeline (nbgrader_config.py puts
    SettleHandGrades right after SaveAutoGrades), then the outcome records `ecole-ia` keeps."""
    config = grader.course_config(course)
    assert "ecole_ia.grading.hand_grades.SettleHandGrades" in config.Autograde.autograde_preprocessors
    results = []
    for learner in learners:
        grader.autograde(config, ASSIGNMENT, learner)
        results.append(autograde.outcome(course, ASSIGNMENT, learner, None, 0.0, config=config))
    autograde.save_results(course, ASSIGNMENT, results)
    return results


# -- a real formgrader --------------------------------------------------------------------


class Formgrader:
    """A Jupyter server with nbgrader's formgrader, on loopback, token auth."""

    def __init__(self, url: str, token: str, server: subprocess.Popen):
        self.url, self.session, self.server = url.rstrip("/"), requests.Session(), server
        self.session.headers["Authorization"] = f"token {token}"

    def stop(self) -> None:
        """Stop the server and everything it started (its own process group)."""
        self.session.close()
        if self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()

    def get(self, path: str, **params):
        reply = self.session.get(f"{self.url}/formgrader/api/{path}", params=params, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def put(self, path: str, body: dict):
        reply = self.session.put(f"{self.url}/formgrader/api/{path}", data=json.dumps(body),
                                 timeout=30)
        reply.raise_for_status()
        return reply.json()

    def submitted_notebook(self, learner: str) -> str:
        """The id of `learner`'s submitted notebook (as formgrader's pages link to it)."""
        found = self.get(f"submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
        return next(n["id"] for n in found if n["student"] == learner)

    def page(self, learner: str) -> str:
        """The grading page of `learner`'s notebook, as the trainer sees it in a browser."""
        reply = self.session.get(
            f"{self.url}/formgrader/submissions/{self.submitted_notebook(learner)}", timeout=60)
        reply.raise_for_status()
        return reply.text

    def grade(self, learner: str, grade_id: str, score: float) -> dict:
        notebook = self.submitted_notebook(learner)
        grade = next(g for g in self.get("grades", submission_id=notebook)
                     if g["name"] == grade_id)
        return self.put(f"grade/{grade['id']}", {"manual_score": score})

    def comment(self, learner: str, grade_id: str, text: str) -> dict:
        notebook = self.submitted_notebook(learner)
        comment = next(c for c in self.get("comments", submission_id=notebook)
                       if c["name"] == grade_id)
        return self.put(f"comment/{comment['id']}", {"manual_comment": text})


@pytest.fixture
def formgrader(tmp_path):
    """Start `jupyter server` in the course root given to the returned function; the server
    is always stopped (its whole process group) when the test ends."""
    started: list[subprocess.Popen] = []
    log = open(tmp_path / "server.log", "w")

    def start(root: Path, timeout: float = 90) -> Formgrader:
        token = uuid.uuid4().hex
        runtime = tmp_path / "jupyter-runtime"
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime),
               "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "server", "--no-browser",
             "--ServerApp.open_browser=False", "--ServerApp.ip=127.0.0.1",
             "--ServerApp.port=0", "--ServerApp.port_retries=0",  # the system picks a free port
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--ServerApp.jpserver_extensions="
             "{'nbgrader.server_extensions.formgrader': True, 'jupyterlab': False}"]
            + ["--allow-root"] * (os.geteuid() == 0),
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        started.append(server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # ready when its info file is written and it answers
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            info = runtime / f"jpserver-{server.pid}.json"
            if info.is_file():
                try:
                    client = Formgrader(json.loads(info.read_text())["url"], token, server)
                    if client.get("status") == {"status": True}:
                        return client
                except (ValueError, KeyError, requests.RequestException):
                    pass
            time.sleep(0.2)
        raise AssertionError("formgrader did not start:\n" + (tmp_path / "server.log").read_text())

    try:
        yield start
    finally:
        for server in started:
            Formgrader("", "", server).stop()
        log.close()


# -- the story ----------------------------------------------------------------------------


def _report(course) -> str:
    """What `ecole-ia report` prints, its line breaks undone."""
    said = CliRunner().invoke(app, ["report", "--root", str(course.root)])
    assert said.exit_code == 0, said.output
    return " ".join(said.output.split())


def _csv(path: Path) -> dict[str, dict[str, str]]:
    return {row["learner"]: row for row in csv.DictReader(path.open(encoding="utf-8"))}


@pytest.mark.slow
def test_a_trainer_grades_the_grid_in_formgrader_and_every_report_follows(tmp_path, formgrader):
    """Ana's conclusion is scored in formgrader, Bruno wrote nothing, Chloé waits: do the
    feedback pages, notes.csv, a_corriger.csv and the competency levels say so?"""
    course = make_course(tmp_path / "course")
    (tmp_path / "promo.csv").write_text(
        "prénom;nom;email\nAna;Dupont;a@x.fr\nBruno;Martin;b@x.fr\nChloé;Petit;c@x.fr\n",
        encoding="utf-8")
    import_roster(tmp_path / "promo.csv", workflow.db_url(course))
    from ecole_ia.trainer import release
    release.register(course, ASSIGNMENT)
    student = read_notebook(course.exercises / ASSIGNMENT / NOTEBOOK)
    source = read_notebook(course.solutions / ASSIGNMENT / NOTEBOOK)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")
               and c.metadata.nbgrader["grade_id"] != "q5-analyse"}
    written = {"q5-analyse": "12 traitements contre 40 avec la règle des 3-10."}
    for learner, nb in {ANA: fill_answers(student, {**answers, **written}),
                        BRUNO: fill_answers(student, answers),  # left q5 as it was
                        CHLOE: fill_answers(student, {**answers, **written})}.items():
        write_notebook(nb, course.grading / "submitted" / learner / ASSIGNMENT / NOTEBOOK)
    autograde_with_settling(course, [ANA, BRUNO, CHLOE])
    syllabus = load_syllabus(course)

    # Before the trainer: Ana and Chloé wait (no final grade); Bruno needs nobody.
    before = reports.write_reports(course, syllabus, workflow.roster(course), [ASSIGNMENT],
                                   dest=tmp_path / "before")
    notes = _csv(before.csv)
    assert notes[ANA]["statut"] == "à corriger par le formateur"
    assert notes[ANA]["note"] == "" and float(notes[ANA]["note_provisoire"]) == 4
    assert notes[ANA]["a_corriger"] == "q5-chiffres q5-clarte"
    assert before.pending == {ASSIGNMENT: [ANA, CHLOE]}

    said = _report(course)
    assert "À corriger par le formateur : 2 envoi(s)" in said
    assert f"{ASSIGNMENT} : 2 — {ANA}, {CHLOE}" in said
    assert "Nbgrader → Formgrader" in said and "a_corriger.csv" in said

    # SettleHandGrades: Bruno's blank answer gets 0 on each criterion, without a trainer.
    bruno = read_marks(workflow.db_url(course), ASSIGNMENT)[BRUNO]
    criteria = {c.grade_id: c for c in bruno.cells if c.grade_id.startswith("q5-")}
    assert {g: (c.score, c.needs_manual_grade) for g, c in criteria.items()} == {
        "q5-analyse": (0, False), "q5-chiffres": (0, False), "q5-clarte": (0, False)}
    assert bruno.auto_comments["q5-chiffres"] == UNANSWERED and not bruno.comments
    assert notes[BRUNO]["statut"] == "corrigé" and float(notes[BRUNO]["note"]) == 4

    # The trainer grades Ana in formgrader: "Un chiffre, sans comparaison." and clear.
    server = formgrader(course.root)
    page = server.page(ANA)  # the grid is in the criterion's cell, under Ana's answer
    assert "Critère noté par le formateur : Des chiffres" in page
    assert "Un chiffre, sans comparaison." in page and "12 traitements contre 40" in page
    assert server.grade(ANA, "q5-chiffres", 0.5)["needs_manual_grade"] is False
    server.grade(ANA, "q5-clarte", 1)
    server.comment(ANA, "q5-chiffres", COMMENT)
    server.comment(ANA, "q5-analyse", "Une réponse courte et lisible.")
    server.stop()  # what follows reads the gradebook only
    assert server.server.poll() is not None

    pages = workflow.feedback(course, syllabus, ASSIGNMENT)
    files = reports.write_reports(course, syllabus, workflow.roster(course), [ASSIGNMENT])
    assert len(pages) == 3
    assert f"{ASSIGNMENT} : 1 — {CHLOE}" in _report(course)

    notes = _csv(files.csv)
    assert notes[ANA]["statut"] == "corrigé" and float(notes[ANA]["note"]) == 5.5
    assert notes[ANA]["a_corriger"] == "" and notes[ANA]["note_provisoire"] == ""
    assert notes[CHLOE]["statut"] == "à corriger par le formateur" and notes[CHLOE]["note"] == ""
    assert files.pending == {ASSIGNMENT: [CHLOE]}
    waiting = list(csv.DictReader(files.to_grade_csv.open(encoding="utf-8")))
    assert [(w["learner"], w["cellule"], w["titre"], w["competence"]) for w in waiting] == [
        (CHLOE, "q5-chiffres", "Des chiffres", "C12"), (CHLOE, "q5-clarte", "Clarté", "C12")]

    # C12 follows the criteria (Ana 1.5/3: validated; Bruno 0/3: not, although 4/7 of the
    # assignment); C17 the whole assignment; Chloé, pending, validates nothing yet.
    levels = _csv(files.competencies_csv)
    assert (levels[ANA]["C12"], levels[ANA]["C17"]) == ("2", "1")
    assert (levels[BRUNO]["C12"], levels[BRUNO]["C17"]) == ("0", "1")
    assert (levels[CHLOE]["C12"], levels[CHLOE]["C17"]) == ("0", "0")
    html = files.html.read_text("utf-8")
    assert "À corriger par le formateur" in html and "Formgrader" in html
    # The proofs behind those levels, and what the title still needs (C12 at level 3).
    proofs = [(r["learner"], r["competence"], r["niveau"], r["preuves"])
              for r in csv.DictReader(files.evidence_csv.open(encoding="utf-8"))]
    assert proofs == [(ANA, "C12", "2", f"{ASSIGNMENT} (exercices)"),
                      (ANA, "C17", "1", f"{ASSIGNMENT} (exercices)"),
                      (BRUNO, "C17", "1", f"{ASSIGNMENT} (exercices)")]
    ready = [r for r in csv.DictReader(files.certification_csv.open(encoding="utf-8"))
             if r["learner"] == ANA]
    assert len(ready) == 21 and not any(r["valide"] == "True" for r in ready)
    assert {r["competence"]: r["niveau_atteint"] for r in ready}["C12"] == "2"
    assert "Ana Dupont" in files.certification_html.read_text("utf-8")

    ana = (course.grading / "feedback" / ANA / ASSIGNMENT / "feedback.html").read_text("utf-8")
    assert "Note : <strong>5,5 / 7</strong>" in ana
    assert "Des chiffres" in ana and "0,5 / 2 — Un chiffre, sans comparaison." in ana
    assert "1 / 1 — Clair pour un viticulteur." in ana
    assert COMMENT in ana and "Une réponse courte et lisible." in ana
    assert WAITING not in ana
    chloe = (course.grading / "feedback" / CHLOE / ASSIGNMENT / "feedback.html").read_text("utf-8")
    assert "Note provisoire" in chloe and chloe.count(WAITING) >= 2
    bruno_page = (course.grading / "feedback" / BRUNO / ASSIGNMENT / "feedback.html").read_text("utf-8")
    assert UNANSWERED in bruno_page and "Note : <strong>4 / 7</strong>" in bruno_page
    assert "Commentaire du formateur" not in bruno_page  # nobody wrote one
    for page in (ana, chloe, bruno_page):
        for hidden in ("carre(-2)", "somme([])", "est_pair(7)", "BEGIN HIDDEN"):
            assert hidden not in page, f"hidden test text {hidden!r} leaked into the feedback"

    now = standings(course, workflow.db_url(course), ASSIGNMENT)
    assert [now[l].status for l in (ANA, BRUNO, CHLOE)] == ["graded", "graded", PENDING]


# -- without kernels ----------------------------------------------------------------------


def _cells(**scores):
    """grade_id=(score, max, needs_manual_grade) -> CellGrade list."""
    from ecole_ia.trainer.hand_grading import CellGrade
    return [CellGrade(g.replace("_", "-"), NOTEBOOK, *v) for g, v in scores.items()]


def test_a_submission_waiting_for_a_trainer_has_no_final_grade():
    """Is a criterion still to score 'pending', whatever autograde recorded, while a
    0-point answer judged by criteria never waits for anyone?"""
    from ecole_ia.trainer.autograde import GradeResult
    from ecole_ia.trainer.hand_grading import Marks, standing

    record = GradeResult(ANA, ASSIGNMENT, "partial", 3, 7, reason="temps limite dépassé : q1-tests")
    waiting = standing(ANA, ASSIGNMENT, record, Marks(_cells(
        q1_tests=(0, 1, False), q2_tests=(1, 1, False), q5_analyse=(0, 0, True),
        q5_chiffres=(0, 2, True), q5_clarte=(1, 1, False))))
    assert waiting.status == PENDING and waiting.score == 2
    assert [c.grade_id for c in waiting.pending] == ["q5-chiffres"]
    assert waiting.reason == "à noter : q5-chiffres; temps limite dépassé : q1-tests"
    done = standing(ANA, ASSIGNMENT, record, Marks(_cells(
        q1_tests=(0, 1, False), q5_analyse=(0, 0, True), q5_chiffres=(2, 2, False))))
    assert (done.status, done.score, done.reason) == ("partial", 2, record.reason)


def test_rejected_and_missing_submissions_never_show_the_gradebook():
    from ecole_ia.trainer.autograde import GradeResult
    from ecole_ia.trainer.hand_grading import Marks, standing

    rejected = GradeResult(ANA, ASSIGNMENT, "rejected", reason="JSON illisible")
    assert standing(ANA, ASSIGNMENT, rejected, Marks(_cells(q1_tests=(1, 1, True)))).status \
        == "rejected"
    assert standing(ANA, ASSIGNMENT, None, None).status == "missing"
    # Graded with nbgrader directly (formgrader's button): in the gradebook, no record.
    direct = standing(ANA, ASSIGNMENT, None, Marks(_cells(q1_tests=(1, 1, False))))
    assert (direct.status, direct.score) == ("graded", 1)


@pytest.mark.parametrize("scores, late, expected", [
    ({"q5-chiffres": 0.5, "q5-clarte": 1}, False, {"C12": 2, "C17": 1}),   # 1.5/3 on C12
    ({"q5-chiffres": 0, "q5-clarte": 1}, False, {"C17": 1}),              # 5/7, but 1/3 on C12
    ({"q5-chiffres": 2, "q5-clarte": 1}, True, {}),                        # late
])
def test_a_competency_the_grid_assesses_follows_its_criteria(tmp_path, scores, late, expected):
    """C12 is judged on its criteria alone, C17 (no criterion) on the whole assignment."""
    from ecole_ia.grids import load_grid
    from ecole_ia.trainer.hand_grading import Standing
    from ecole_ia.trainer.roster import Learner

    path = tmp_path / "grid.yml"
    path.write_text(yaml.safe_dump(CRITERIA, allow_unicode=True), encoding="utf-8")
    cells = _cells(q1_tests=(1, 1, False), q2_tests=(1, 1, False), q3_tests=(1, 1, False),
                   q4_tests=(1, 1, False))
    cells += [c for g, v in scores.items() for c in _cells(**{g.replace("-", "_"): (v, 2, False)})]
    now = Standing(ANA, ASSIGNMENT, "graded", sum(c.score for c in cells), 7, cells=cells)
    row = reports.Row(Learner(ANA, "Ana", "Dupont"), ASSIGNMENT, 7, now, late)
    assert reports.validated(row, {"C17": 1, "C12": 2}, load_grid(path)) == expected
    now.status = PENDING
    assert reports.validated(row, {"C17": 1, "C12": 2}, load_grid(path)) == {}


def test_the_level_a_score_reaches_is_the_highest_not_above_it(tmp_path):
    from ecole_ia.grids import Criterion
    criterion = Criterion.model_validate(CRITERIA[0])
    assert criterion.level_for(0).description == "Aucun chiffre."
    assert criterion.level_for(1).description == "Un chiffre, sans comparaison."
    assert criterion.level_for(2).description == "Les chiffres utiles, comparés."


def test_autograde_summary_marks_a_provisional_score():
    """Does `ecole-ia autograde`'s table say 'pending' and 'provisoire' for a submission
    whose criteria wait for a trainer, and how to open formgrader?"""
    from ecole_ia import cli
    from ecole_ia.course import Course
    from ecole_ia.trainer.autograde import GradeResult

    results = [GradeResult(ANA, ASSIGNMENT, "graded", 4, 7), GradeResult(BRUNO, ASSIGNMENT,
                                                                        "graded", 4, 7)]
    with cli.out.capture() as captured:
        cli._print_results(results, {ANA})
        cli._print_hand_grading(Course(Path.cwd()), {ASSIGNMENT: [ANA]})
    said = " ".join(captured.get().split())
    assert "4/7 (provisoire) │ pending" in said and "4/7 │ graded" in said
    assert f"{ASSIGNMENT} : 1 — {ANA}" in said and "ecole-ia lab --trainer" in said


@pytest.mark.slow
def test_a_changed_answer_puts_the_trainer_s_criteria_up_for_review(tmp_path):
    """A trainer scored Ana's conclusion; she sends a new version. Criteria judging an answer
    that changed wait for the trainer again (their score kept as a starting point); an
    unchanged answer's criteria keep their score, settled."""
    from nbgrader.api import Gradebook

    from ecole_ia.trainer import release

    course = make_course(tmp_path / "course")
    (tmp_path / "promo.csv").write_text("prénom;nom;email\nAna;Dupont;a@x.fr\n", encoding="utf-8")
    import_roster(tmp_path / "promo.csv", workflow.db_url(course))
    release.register(course, ASSIGNMENT)
    student = read_notebook(course.exercises / ASSIGNMENT / NOTEBOOK)
    source = read_notebook(course.solutions / ASSIGNMENT / NOTEBOOK)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")
               and c.metadata.nbgrader["grade_id"] != "q5-analyse"}
    path = course.grading / "submitted" / ANA / ASSIGNMENT / NOTEBOOK

    def submit_and_grade(conclusion):
        write_notebook(fill_answers(student, {**answers, "q5-analyse": conclusion}), path)
        autograde_with_settling(course, [ANA])

    def criteria():
        with Gradebook(workflow.db_url(course)) as gb:
            return {g: (gb.find_grade(g, ASSIGNMENT, ASSIGNMENT, ANA).manual_score,
                        gb.find_grade(g, ASSIGNMENT, ASSIGNMENT, ANA).needs_manual_grade)
                    for g in ("q5-chiffres", "q5-clarte")}

    submit_and_grade("12 traitements contre 40.")
    with Gradebook(workflow.db_url(course)) as gb:  # what formgrader does when she is scored
        for grade_id, score in (("q5-chiffres", 2.0), ("q5-clarte", 1.0)):
            grade = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, ANA)
            grade.manual_score, grade.needs_manual_grade = score, False
        gb.db.commit()
    submit_and_grade("12 traitements contre 40.")  # graded again, same conclusion
    assert criteria() == {"q5-chiffres": (2.0, False), "q5-clarte": (1.0, False)}
    submit_and_grade("Je ne sais pas.")  # a new version of her conclusion
    assert criteria() == {"q5-chiffres": (2.0, True), "q5-clarte": (1.0, True)}
