"""The harness catches what it promises to catch, with a message that says what to fix.

Each test breaks a miniature course (tests/minicourse.py) in one realistic way and checks
that the grading contract or the CLI fails on exactly that, naming file and remedy.
"""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from ecole_ia.cli import app
from ecole_ia.contract import check_assignment
from ecole_ia.notebooks import read_notebook, write_notebook
from ecole_ia.syllabus import load_syllabus

import minicourse
from minicourse import ASSIGNMENT

pytestmark = pytest.mark.slow


@pytest.fixture
def mini(tmp_path):
    return minicourse.make(tmp_path / "course")


def _edit_solution(course, grade_id, source):
    path = course.solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = read_notebook(path)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source
    write_notebook(nb, path)


def _contract(course):
    return check_assignment(course, load_syllabus(course), ASSIGNMENT)


def test_intact_mini_course_keeps_the_contract(mini):
    """Does a correct assignment pass every clause, with the expected scores?"""
    report = _contract(mini)
    assert report.problems == []
    assert report.candidate("solution").scores.score == 4
    assert report.candidate("blank").scores.score == 0
    assert {c.name: c.scores.score for c in report.candidates if c.name.startswith("wrong")} == {
        "wrong-carre-double": 3, "wrong-somme-oublie-dernier": 3, "wrong-pair-inverse": 3}


def test_failing_solution_is_reported(mini):
    """Is a solution that fails its own test reported with the cell and the test's message?"""
    _edit_solution(mini, "q1-reponse", "def carre(x):\n    ### BEGIN SOLUTION\n"
                                        "    return x + x\n    ### END SOLUTION")
    from ecole_ia.build import build
    build(mini, ASSIGNMENT)
    problems = _contract(mini).broken(2)
    assert len(problems) == 1
    assert "solutions/mini-carres/mini-carres.ipynb" in problems[0]
    assert "'q1-tests'" in problems[0] and "carre(3) devrait valoir 9" in problems[0]
    assert "fix the solution or the test" in problems[0]


def test_stale_exercise_is_reported(mini):
    """Is an exercise not regenerated after a solution edit reported, with the command to run?"""
    _edit_solution(mini, "q4-tests", 'assert saluer("Zoé") == "Bonjour Zoé !", "Salut attendu"\n'
                                     "### BEGIN HIDDEN TESTS\nassert saluer('') == 'Bonjour  !'\n"
                                     "### END HIDDEN TESTS")
    problems = _contract(mini).broken(1)
    assert problems == ["exercises/mini-carres/mini-carres.ipynb differs from what nbgrader "
                        "generates from solutions/: run `ecole-ia build mini-carres` and commit it"]


def test_stale_exercise_fails_build_check(mini):
    """Does `ecole-ia build --check` exit non-zero and name the drifted file?"""
    _edit_solution(mini, "q4-tests", "assert saluer('Zoé') == 'Bonjour Zoé !'")
    result = CliRunner().invoke(app, ["build", "--check", "--root", str(mini.root)],
                                standalone_mode=False)
    assert result.exception is not None
    assert "exercises/mini-carres/mini-carres.ipynb differs" in str(result.exception)
    assert "ecole-ia build" in str(result.exception)


def test_vacuous_test_is_caught_by_a_wrong_answer(mini):
    """If a test cannot tell right from wrong, does the wrong answer expose it?"""
    _edit_solution(mini, "q3-tests", "assert est_pair(4) in (True, False)")
    from ecole_ia.build import build
    build(mini, ASSIGNMENT)
    problems = _contract(mini).broken(4)
    assert any("'q3-tests' accept the wrong answer 'pair-inverse'" in p for p in problems)


def test_free_points_on_the_blank_version_are_reported(mini):
    """Is a test that passes on the untouched student version reported?"""
    _edit_solution(mini, "q2-tests", "assert 1 + 1 == 2")
    from ecole_ia.build import build
    build(mini, ASSIGNMENT)
    report = _contract(mini)
    assert any("untouched student version scores 1 on 'q2-tests'" in p for p in report.broken(3))


def test_hand_edited_exercise_leaking_a_solution_is_reported(mini):
    """Is a solution line pasted into the committed student version reported as a leak?"""
    path = mini.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = read_notebook(path)
    nb.cells.append(nb.cells[-1].copy())
    nb.cells[-1].source = "for v in valeurs:\n    total += v"
    write_notebook(nb, path)
    leaks = _contract(mini).broken(5)
    assert any("'for v in valeurs:'" in leak for leak in leaks)


def test_points_must_match_the_syllabus(mini):
    """Is a points total that disagrees with the syllabus reported with both numbers?"""
    syllabus = minicourse.syllabus_data(points=5)
    (mini.syllabus_file).write_text(yaml.safe_dump(syllabus, allow_unicode=True), "utf-8")
    assert any("total 4 points but the syllabus gives module 'mini-carres' 5" in p
               for p in _contract(mini).broken(6))


def test_wrong_answer_naming_an_unknown_cell_is_reported(mini):
    path = mini.solutions / ASSIGNMENT / "wrong_answers.yml"
    wrong = yaml.safe_load(path.read_text("utf-8"))
    wrong[0]["cells"] = {"q9-reponse": "x = 1"}
    path.write_text(yaml.safe_dump(wrong, allow_unicode=True), "utf-8")
    assert any("replaces ['q9-reponse'], which are not answer cells" in p
               for p in _contract(mini).broken(4))


def test_unnamed_notebook_on_disk_is_reported(mini):
    """Does a lesson the syllabus does not name make `ecole-ia syllabus` fail?"""
    (mini.curriculum / "developpement" / "brouillon.ipynb").write_text(
        (mini.curriculum / "developpement" / f"{ASSIGNMENT}.ipynb").read_text("utf-8"), "utf-8")
    result = CliRunner().invoke(app, ["syllabus", "--root", str(mini.root)],
                                standalone_mode=False)
    assert "curriculum/developpement/brouillon.ipynb: this lesson is not named" in str(
        result.exception)


def test_syllabus_command_shows_the_plan(mini):
    result = CliRunner().invoke(app, ["syllabus", "--root", str(mini.root)],
                                standalone_mode=False)
    assert result.exception is None, result.exception
    assert "Carrés" in result.output and "C21" in result.output


def test_tests_fooled_by_an_always_equal_object_are_reported(mini):
    """Is a test that only compares with == reported as open to the always-equal cheat?"""
    _edit_solution(mini, "q1-tests", "assert carre(3) == 9\n### BEGIN HIDDEN TESTS\n"
                                     "assert carre(-2) == 4\n### END HIDDEN TESTS")
    from ecole_ia.build import build
    build(mini, ASSIGNMENT)
    problems = _contract(mini).broken(7)
    assert len(problems) == 1 and "'q1-tests' pass when the answer returns an object" in problems[0]
