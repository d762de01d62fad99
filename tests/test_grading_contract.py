"""The grading contract (docs/authoring.md) for every published assignment of the syllabus.

A new module is tested here with no new test code: one test class per assignment is made
below. Each clause is its own test, so a red test names what is broken, and the messages say
which file and what to do. The assignment is graded once per class (`--dist loadscope` runs
a class on one worker), and the clauses read that one report.
"""

from __future__ import annotations

import re

import pytest

from ecole_ia.contract import CLAUSES

from published import PUBLISHED_ASSIGNMENTS


@pytest.mark.slow
class ContractClauses:
    assignment: str

    def _holds(self, report, clause):
        broken = report.broken(clause)
        assert not broken, f"{report.assignment}: {CLAUSES[clause]} — broken:\n" + "\n".join(
            f"- {m}" for m in broken)

    def test_exercises_match_what_nbgrader_generates(self, contract_report):
        """Is exercises/ exactly what nbgrader generates from solutions/ right now?"""
        self._holds(contract_report(self.assignment), 1)

    def test_solution_scores_full_marks(self, contract_report):
        """Does the solution, submitted as is, autograde to every autograded point?"""
        report = contract_report(self.assignment)
        self._holds(report, 2)
        assert report.candidate("solution").scores is not None and report.autograded_max > 0

    def test_untouched_student_version_scores_zero(self, contract_report):
        """Does the untouched student version score zero, with the grader still standing?"""
        report = contract_report(self.assignment)
        self._holds(report, 3)
        blank = report.candidate("blank")
        assert blank.scores is not None and blank.scores.score == 0

    def test_wrong_answers_lose_points(self, contract_report):
        """Does every plausible wrong answer kept in wrong_answers.yml lose points?"""
        report = contract_report(self.assignment)
        self._holds(report, 4)
        wrong = [c for c in report.candidates if c.name.startswith("wrong-")]
        assert len(wrong) >= 3
        assert all(c.scores.score < report.autograded_max for c in wrong)

    def test_no_solution_or_hidden_test_in_student_version(self, contract_report):
        """Is the student version free of solution lines and hidden tests?"""
        self._holds(contract_report(self.assignment), 5)

    def test_grade_ids_and_points_match_syllabus(self, contract_report):
        """Are grade ids unique, every graded cell worth points, the total the syllabus's?"""
        self._holds(contract_report(self.assignment), 6)

    def test_tests_reject_an_always_equal_object(self, contract_report):
        """Do the tests fail when an answer returns an object equal to everything?"""
        self._holds(contract_report(self.assignment), 7)

    def test_every_check_fails_with_a_french_message(self, contract_report):
        """Would every check of a test cell tell a learner, in French, what went wrong?"""
        self._holds(contract_report(self.assignment), 8)


for _assignment in PUBLISHED_ASSIGNMENTS:
    _name = "TestContract_" + re.sub(r"\W", "_", _assignment)
    globals()[_name] = type(_name, (ContractClauses,), {"assignment": _assignment})
