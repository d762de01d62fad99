"""The grading contract (docs/authoring.md) for every published assignment of the syllabus.

A new module is tested here with no new test code. Each clause is its own test, so a red
test names what is broken; the messages say which file and what to do.
"""

from __future__ import annotations

import pytest

from published import PUBLISHED_ASSIGNMENTS
from ecole_ia.contract import CLAUSES

pytestmark = pytest.mark.slow


def _params():
    return [pytest.param(a, marks=pytest.mark.xdist_group(f"contract-{a}"), id=a)
            for a in PUBLISHED_ASSIGNMENTS]


def _holds(report, clause):
    broken = report.broken(clause)
    assert not broken, f"{report.assignment}: {CLAUSES[clause]} — broken:\n" + "\n".join(
        f"- {m}" for m in broken)


@pytest.mark.parametrize("assignment", _params())
def test_exercises_match_what_nbgrader_generates(assignment, contract_report):
    """Is exercises/ exactly what nbgrader generates from solutions/ right now?"""
    _holds(contract_report(assignment), 1)


@pytest.mark.parametrize("assignment", _params())
def test_solution_scores_full_marks(assignment, contract_report):
    """Does the solution, submitted as is, autograde to every autograded point?"""
    report = contract_report(assignment)
    _holds(report, 2)
    solution = report.candidate("solution")
    assert solution.scores is not None and report.autograded_max > 0


@pytest.mark.parametrize("assignment", _params())
def test_untouched_student_version_scores_zero(assignment, contract_report):
    """Does the untouched student version score zero, with the grader still standing?"""
    report = contract_report(assignment)
    _holds(report, 3)
    blank = report.candidate("blank")
    assert blank.scores is not None and blank.scores.score == 0


@pytest.mark.parametrize("assignment", _params())
def test_wrong_answers_lose_points(assignment, contract_report):
    """Does every plausible wrong answer kept in wrong_answers.yml lose points?"""
    report = contract_report(assignment)
    _holds(report, 4)
    wrong = [c for c in report.candidates if c.name.startswith("wrong-")]
    assert len(wrong) >= 3
    assert all(c.scores.score < report.autograded_max for c in wrong)


@pytest.mark.parametrize("assignment", _params())
def test_no_solution_or_hidden_test_in_student_version(assignment, contract_report):
    """Is the student version free of solution lines and hidden tests?"""
    _holds(contract_report(assignment), 5)


@pytest.mark.parametrize("assignment", _params())
def test_grade_ids_and_points_match_syllabus(assignment, contract_report):
    """Are grade ids unique, every graded cell worth points, the total the syllabus's?"""
    _holds(contract_report(assignment), 6)
