"""The syllabus: schema, whole-plan rules, and agreement with the files on disk."""

from __future__ import annotations

import copy

import pytest
import yaml

from ecole_ia.errors import SyllabusError
from ecole_ia.syllabus import ALL_COMPETENCIES, check_files, month_table, parse_syllabus

from minicourse import syllabus_data
from published import COURSE, SYLLABUS


def test_real_syllabus_agrees_with_files():
    """Does every file the syllabus names exist, and every notebook on disk have a module?"""
    assert check_files(SYLLABUS, COURSE) == []


def test_real_syllabus_covers_19_months_and_21_competencies():
    """Is every one of the 19 months planned, and every competency C1–C21 targeted?"""
    assert SYLLABUS.program.months == 19
    assert all(modules for _, _, modules in month_table(SYLLABUS))
    assert sorted(SYLLABUS.coverage(), key=lambda c: int(c[1:])) == ALL_COMPETENCIES
    assert all(SYLLABUS.coverage()[c] for c in ALL_COMPETENCIES)


def test_real_syllabus_publishes_one_module_per_track():
    """Does each of the three tracks have at least one published module?"""
    assert {m.track for m in SYLLABUS.published()} == {t.id for t in SYLLABUS.tracks}


def test_school_then_alternance_phases():
    """Do months 1 and 19 fall in the school and alternance phases respectively?"""
    assert SYLLABUS.phase_of(1).id == "ecole"
    assert SYLLABUS.phase_of(19).id == "alternance"


def _errors(data) -> str:
    with pytest.raises(SyllabusError) as info:
        parse_syllabus(yaml.safe_dump(data, allow_unicode=True), "curriculum/syllabus.yml")
    return str(info.value)


def test_phase_lengths_are_configurable():
    """Can a cohort split 4 + 15 months instead of 7 + 12?"""
    data = syllabus_data()
    data["phases"][0]["months"], data["phases"][1]["months"] = 4, 15
    plan = parse_syllabus(yaml.safe_dump(data, allow_unicode=True))
    assert plan.phase_of(5).id == "alternance"


@pytest.mark.parametrize("breakage, expected", [
    (lambda d: d["modules"][0].update(competencies={"C22": 1}),
     "module 'mini-carres' (modules[0])"),
    (lambda d: d["modules"][0].update(month="trois"), "field 'month'"),
    (lambda d: d["modules"][0].update(objectifs=["x"]), "objectifs"),
    (lambda d: d["modules"][0].update(objectives=[]), "field 'objectives'"),
    (lambda d: d["modules"][0].update(track="cuisine"), "track 'cuisine' is unknown"),
    (lambda d: d["modules"][0].pop("points"), "has no `points`"),
    (lambda d: d["modules"].pop(3), "months [4] have no module"),
    (lambda d: d["modules"][-1].update(competencies={"C20": 3}), "'C21'] are targeted by no"),
    (lambda d: d["phases"][0].update(months=6), "the phases last 18 months"),
    (lambda d: d["modules"].append(copy.deepcopy(d["modules"][0])), "used twice"),
])
def test_broken_entry_is_reported_with_module_and_field(breakage, expected):
    """Does a broken entry give an error naming the file, the module and the problem?"""
    data = syllabus_data()
    breakage(data)
    message = _errors(data)
    assert "curriculum/syllabus.yml" in message
    assert expected in message


def test_all_problems_are_reported_at_once():
    """Are two independent mistakes both reported, not just the first?"""
    data = syllabus_data()
    data["modules"][0]["month"] = 0
    data["modules"][1]["hours"] = -3
    message = _errors(data)
    assert "'mini-carres'" in message and "'plan-02'" in message


def test_invalid_yaml_names_the_file():
    with pytest.raises(SyllabusError, match="curriculum/syllabus.yml: not valid YAML"):
        parse_syllabus("modules: [unclosed", "curriculum/syllabus.yml")
