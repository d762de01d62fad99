"""Briefs (src/ecole_ia/briefs.py): declared in the syllabus, graded like any assignment, their
frame (competencies, days, how the points split) written by `ecole-ia build` from the data."""

from __future__ import annotations

import yaml

from ecole_ia import build
from ecole_ia.contract import check_metadata
from ecole_ia.notebooks import nbgrader_meta, read_notebook, write_notebook
from ecole_ia.syllabus import check_files, load_syllabus

import minicourse
from minicourse import ASSIGNMENT
from test_grids import CRITERIA, _notebook_with_written_answer, _write_grid

BRIEF = f"{ASSIGNMENT}-brief"


def _course_with_brief(tmp_path):
    course = minicourse.make(tmp_path / "course")
    data = yaml.safe_load(course.syllabus_file.read_text(encoding="utf-8"))
    data["modules"][0].update(
        hours=10, parts={"lesson": 2, "exercises": 3, "brief": 5},
        brief={"title": "Brief — des carrés pour la coopérative", "points": 7, "days": 0.5})
    course.syllabus_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                    encoding="utf-8")
    sol = course.solutions / BRIEF / f"{BRIEF}.ipynb"
    write_notebook(_notebook_with_written_answer(), sol)  # 4 test points, a written answer
    _write_grid(sol.parent, CRITERIA)                     # and 3 points of criteria
    return course, sol


def test_build_writes_the_brief_s_frame_from_the_syllabus_and_the_grid(tmp_path):
    course, sol = _course_with_brief(tmp_path)
    build.build(course, BRIEF)
    for path in (sol, course.exercises / BRIEF / f"{BRIEF}.ipynb"):
        frame = read_notebook(path).cells[1]
        assert nbgrader_meta(frame)["grade_id"] == "brief-cadre" and nbgrader_meta(frame)["locked"]
        text = frame.source
        assert "**Durée prévue :** 0,5 jour de travail (environ 3,5 heures)" in text
        assert "| C17 |" in text and "2 (adapter)" not in text and "1 (imiter)" in text
        assert "- 4 points par les tests automatiques" in text
        assert "- 2 points par le formateur, critère « Des chiffres » (C17) ;" in text
        assert "- 1 point par le formateur, critère « Clarté » (C17)." in text
    assert check_files(load_syllabus(course), course) == []
    assert check_metadata(course, load_syllabus(course), BRIEF) == []
    assert build.drift(course, BRIEF) == []

    # The syllabus changes (two days now): the frame is stale until the next build.
    course.syllabus_file.write_text(course.syllabus_file.read_text(encoding="utf-8").replace(
        "days: 0.5", "days: 2"), encoding="utf-8")
    assert [d.problem for d in build.drift(course, BRIEF)][:1] == ["grid"]
    build.build(course, BRIEF)
    assert "2 jours de travail (environ 14 heures)" in read_notebook(sol).cells[1].source


def test_a_brief_needs_one_autograded_result_and_its_points(tmp_path):
    course, sol = _course_with_brief(tmp_path)
    build.build(course, BRIEF)
    course.syllabus_file.write_text(course.syllabus_file.read_text(encoding="utf-8").replace(
        "points: 7", "points: 9"), encoding="utf-8")
    problems = check_metadata(course, load_syllabus(course), BRIEF)
    assert any("graded cells total 7 points but the syllabus gives module 'mini-carres' 9 "
               "(`brief.points`)" in p for p in problems), problems
