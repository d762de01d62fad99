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

    @pytest.mark.parametrize("clause", CLAUSES, ids=lambda c: f"clause{c.number}")
    def test_clause_holds(self, contract_report, clause):
        """One test per clause of ecole_ia.contract.CLAUSES (its title says what it proves)."""
        report = contract_report(self.assignment)
        broken = report.broken(clause.number)
        assert not broken, f"{report.assignment}: clause {clause.number}, {clause.title} — " \
            "broken:\n" + "\n".join(f"- {m}" for m in broken)

    def test_the_grading_really_ran(self, contract_report):
        """The clauses judged real scores: the solution has points, the blank version scored
        zero, at least three wrong answers were graded, each below full marks."""
        report = contract_report(self.assignment)
        assert report.candidate("solution").scores is not None and report.autograded_max > 0
        blank = report.candidate("blank")
        assert blank.scores is not None and blank.scores.score == 0
        wrong = [c for c in report.candidates if c.name.startswith("wrong-")]
        assert len(wrong) >= 3
        assert all(c.scores.score < report.autograded_max for c in wrong)


for _assignment in PUBLISHED_ASSIGNMENTS:
    _name = "TestContract_" + re.sub(r"\W", "_", _assignment)
    globals()[_name] = type(_name, (ContractClauses,), {"assignment": _assignment})
