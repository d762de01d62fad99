from __future__ import annotations

import pytest

from ecole_ia.contract import ContractReport, check_assignment
from ecole_ia.course import Course
from ecole_ia.syllabus import Syllabus

from published import COURSE, SYLLABUS

_reports: dict[str, ContractReport] = {}


@pytest.fixture(scope="session")
def course() -> Course:
    return COURSE


@pytest.fixture(scope="session")
def syllabus() -> Syllabus:
    return SYLLABUS


@pytest.fixture
def contract_report():
    """The grading contract of an assignment, graded once per worker and shared by the
    clause tests (they run on the same worker thanks to their xdist_group)."""

    def get(assignment: str) -> ContractReport:
        if assignment not in _reports:
            _reports[assignment] = check_assignment(COURSE, SYLLABUS, assignment)
        return _reports[assignment]

    return get
