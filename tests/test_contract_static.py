"""Contract clauses that read the source notebooks without grading them (fast)."""

from __future__ import annotations

import nbformat

from ecole_ia.contract import silent_checks
from ecole_ia.notebooks import nbgrader_meta, read_notebook, write_notebook

import minicourse
from minicourse import ASSIGNMENT


def _with_test_source(tmp_path, grade_id, source):
    course = minicourse.make(tmp_path / "course", build=False)
    path = course.solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = read_notebook(path)
    next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id).source = source
    write_notebook(nb, path)
    return course


def test_the_mini_course_checks_all_speak_french(tmp_path):
    course = minicourse.make(tmp_path / "course", build=False)
    assert silent_checks(course, ASSIGNMENT) == []


def test_a_bare_assert_is_named_with_its_cell_and_line(tmp_path):
    course = _with_test_source(tmp_path, "q1-tests", "x = carre(3)\nassert x == 9")
    [problem] = [p for p in silent_checks(course, ASSIGNMENT) if "'q1-tests'" in p]
    assert "mini-carres.ipynb: test cell 'q1-tests' (cell 3), line 2" in problem
    assert "without a message" in problem


def test_an_english_message_is_reported(tmp_path):
    course = _with_test_source(tmp_path, "q1-tests", 'assert carre(3) == 9, "carre(3) should be 9"')
    assert any("reads as English" in p for p in silent_checks(course, ASSIGNMENT))


def test_numpy_and_pandas_assertion_helpers_are_reported(tmp_path):
    course = _with_test_source(tmp_path, "q1-tests",
                               "import numpy as np\nnp.testing.assert_allclose(carre(3), 9)")
    [problem] = [p for p in silent_checks(course, ASSIGNMENT) if "'q1-tests'" in p]
    assert "np.testing.assert_allclose` fails in English" in problem and "check_array" in problem


def test_french_checks_and_messages_pass(tmp_path):
    course = _with_test_source(
        tmp_path, "q1-tests",
        "%xmode Minimal\nfrom ecole_ia.checks import check_equal\n"
        "check_equal(carre(3), 9, 'carre(3)')\n"
        "assert carre(-2) == 4, f\"carre(-2) devrait valoir 4, pas {carre(-2)}\"")
    assert not any("'q1-tests'" in p for p in silent_checks(course, ASSIGNMENT))


def test_a_configuration_without_ecole_ia_steps_is_refused_before_grading(tmp_path):
    """A trainer's nbgrader_config.py that lost GuardedExecute or SettleHandGrades (or runs
    nbgrader's plain Execute) is reported once, naming the file, before anyone is graded."""
    import pytest

    from ecole_ia.grading import grader

    course = minicourse.make(tmp_path / "course", build=False)
    config_file = course.root / "nbgrader_config.py"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        '"ecole_ia.grading.execute.GuardedExecute"', '"nbgrader.preprocessors.Execute"'),
        encoding="utf-8")
    with pytest.raises(grader.GraderError) as error:
        grader.course_config(course)
    message = str(error.value)
    assert "nbgrader_config.py" in message and "GuardedExecute" in message
    assert "plain Execute" in message


def test_repair_reads_the_stubs_from_the_course_configuration(tmp_path):
    """Which copy of a duplicated answer is graded depends on the stub nbgrader writes, as
    nbgrader_config.py sets it (not on a copy of it in the code)."""
    import copy

    from ecole_ia.grading import grader
    from ecole_ia.grading.repair import rebuild, stub_markers

    course = minicourse.make(tmp_path / "course")
    config_file = course.root / "nbgrader_config.py"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "# VOTRE CODE ICI\\nraise NotImplementedError()", "# À COMPLÉTER\\npass"),
        encoding="utf-8")
    stubs = stub_markers(grader.course_config(course))
    assert "# À COMPLÉTER" in stubs and "# VOTRE CODE ICI" not in stubs
    released = read_notebook(course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    submitted = copy.deepcopy(released)
    answer = next(c for c in submitted.cells if nbgrader_meta(c).get("grade_id") == "q1-reponse")
    answer.source = "def carre(x):\n    return x * x"
    stub = copy.deepcopy(answer)
    stub.source = "def carre(x):\n    # À COMPLÉTER\n    pass"
    submitted.cells.insert(submitted.cells.index(answer) + 1, stub)  # the stub copy last
    rebuilt = rebuild(released, submitted, stubs).notebook
    kept = next(c for c in rebuilt.cells if nbgrader_meta(c).get("grade_id") == "q1-reponse")
    assert kept.source == "def carre(x):\n    return x * x"


def test_a_configuration_without_the_repair_step_is_refused(tmp_path):
    """Without RebuildOnRelease in nbgrader's sanitize steps, plain nbgrader would grade
    damaged or forged notebooks as they came: the configuration is refused, naming the step."""
    import pytest

    from ecole_ia.grading import grader

    course = minicourse.make(tmp_path / "course", build=False)
    config_file = course.root / "nbgrader_config.py"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        '    "ecole_ia.grading.repair.RebuildOnRelease",\n', ""), encoding="utf-8")
    with pytest.raises(grader.GraderError) as error:
        grader.course_config(course)
    assert "sanitize_preprocessors: ecole_ia.grading.repair.RebuildOnRelease" in str(error.value)


def test_the_authoring_guide_lists_every_clause_of_the_contract():
    """The guide's numbered list is the contract's clauses, in order, word for word."""
    from ecole_ia.contract import CLAUSES

    guide = (minicourse.ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    section = guide[guide.index("## The grading contract"):guide.index("## Tests that resist")]
    listed = [line for line in section.splitlines() if line[:1].isdigit()]
    assert listed == [f"{c.number}. {c.title}" for c in CLAUSES]


def test_an_exercise_copied_from_its_lesson_breaks_clause_9(tmp_path):
    """Answer lines found word for word in the lesson count against clause 9."""
    from ecole_ia.contract import CLAUSES, Evidence, lesson_overlap
    from ecole_ia.syllabus import load_syllabus

    course = minicourse.make(tmp_path / "course")
    syllabus = load_syllabus(course)
    module = syllabus.module_for_assignment(ASSIGNMENT)
    lesson = course.root / module.lesson
    nb = read_notebook(lesson)
    share, copied, total = lesson_overlap(course, syllabus, ASSIGNMENT)
    assert total > 0 and share <= 0.25
    solution = read_notebook(course.solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    answers = "\n".join(c.source for c in solution.cells if nbgrader_meta(c).get("solution")
                        and c.cell_type == "code")
    nb.cells.append(nbformat.v4.new_code_cell(answers))
    lesson.write_text(nbformat.writes(nb), encoding="utf-8")
    share, copied, total = lesson_overlap(course, syllabus, ASSIGNMENT)
    assert copied == total
    nine = next(c for c in CLAUSES if c.number == 9)
    [problem] = nine.check(Evidence(course, syllabus, ASSIGNMENT))
    assert f"{total} of the solution's {total} answer lines (100%)" in problem
