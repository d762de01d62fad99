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


def _with_brief(**brief) -> dict:
    data = syllabus_data()
    data["modules"][0].update(hours=10, brief={"title": "Brief — des carrés partout",
                                               "points": 6, "days": 1, **brief},
                              parts={"lesson": 2, "exercises": 3, "brief": 5})
    return data


def test_a_brief_is_an_assignment_of_its_module():
    """A module's brief is graded work of its own: `<module>-brief` by default, with its
    points, and the module's hours split between lesson, exercises and brief."""
    syllabus = parse_syllabus(yaml.safe_dump(_with_brief(), allow_unicode=True), "s.yml")
    [exercises, brief] = syllabus.module("mini-carres").work()
    assert (exercises.kind, exercises.assignment, exercises.points) == ("exercises", "mini-carres", 4)
    assert (brief.kind, brief.assignment, brief.points) == ("brief", "mini-carres-brief", 6)
    assert syllabus.module_for_assignment("mini-carres-brief").id == "mini-carres"
    assert [w.assignment for w in syllabus.published_assignments()] == \
        ["mini-carres", "mini-carres-brief"]


@pytest.mark.parametrize("change, expected", [
    (lambda m: m["parts"].update(brief=4), "`parts` add up to 9 hours but `hours` is 10"),
    (lambda m: m.pop("brief"), "`parts.brief` gives hours to a brief the module does not have"),
    (lambda m: m["brief"].update(days=0), "days"),
])
def test_a_brief_s_hours_and_days_are_checked(change, expected):
    data = _with_brief()
    change(data["modules"][0])
    assert expected in _errors(data)


def test_a_published_brief_needs_its_files_and_points(tmp_path):
    """The brief's notebooks must exist in solutions/ and exercises/, with the points the
    syllabus gives; an unnamed folder in solutions/ is reported as before."""
    import shutil

    import minicourse

    course = minicourse.make(tmp_path / "course")
    (course.root / "curriculum" / "syllabus.yml").write_text(
        yaml.safe_dump(_with_brief(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    from ecole_ia.syllabus import load_syllabus

    syllabus = load_syllabus(course)
    assert any("no notebook in solutions/mini-carres-brief/" in p
               for p in check_files(syllabus, course))
    for folder in ("solutions", "exercises"):
        shutil.copytree(course.root / folder / "mini-carres",
                        course.root / folder / "mini-carres-brief")
        for nb in (course.root / folder / "mini-carres-brief").glob("*.ipynb"):
            nb.rename(nb.with_name("brief.ipynb"))
    problems = check_files(syllabus, course)
    assert problems == ["curriculum/syllabus.yml: module 'mini-carres' (published): the graded "
                        "cells of solutions/mini-carres-brief/ total 4 points but the "
                        "syllabus's `brief.points` says 6: make them agree"], problems
