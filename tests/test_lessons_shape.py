"""Every published lesson follows the course's shape and agrees with the syllabus."""

from __future__ import annotations

import re

import pytest

from ecole_ia.notebooks import read_notebook

from published import COURSE, PUBLISHED_LESSONS


def _markdown(module):
    nb = read_notebook(COURSE.root / module.lesson)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


lessons = pytest.mark.parametrize("module", PUBLISHED_LESSONS, ids=lambda m: m.id)


@lessons
def test_starts_with_the_syllabus_title(module):
    """Is the lesson's first line its title in the syllabus?"""
    first = _markdown(module)[0].splitlines()[0]
    assert first == f"# {module.title}", f"{module.lesson}: first line should be '# {module.title}'"


@lessons
def test_objectives_are_the_syllabus_objectives(module):
    """Does the `## Objectifs` cell list exactly the syllabus's objectives, in order?"""
    cells = [s for s in _markdown(module) if s.startswith("## Objectifs")]
    assert cells, f"{module.lesson}: no markdown cell starting with '## Objectifs'"
    bullets = [m.group(1).strip() for m in re.finditer(r"^[-*] (.+)$", cells[0], re.M)]
    assert bullets == module.objectives, (
        f"{module.lesson}: the objectives differ from curriculum/syllabus.yml "
        f"(module {module.id!r}); lesson: {bullets}")


@lessons
def test_has_self_checks_along_the_way(module):
    """Are there at least two `### À vous` self-checks?"""
    checks = [s for s in _markdown(module) if s.startswith("### À vous")]
    assert len(checks) >= 2, f"{module.lesson}: {len(checks)} '### À vous' self-check(s), need 2"


@lessons
def test_ends_with_key_points_and_the_exercise(module):
    """Is the last markdown cell `## Points clés`, pointing at the exercise?"""
    last = _markdown(module)[-1]
    assert last.startswith("## Points clés"), f"{module.lesson}: last markdown cell must be '## Points clés'"
    if module.assignment:
        assert f"exercises/{module.assignment}/" in last, (
            f"{module.lesson}: the key points should point at exercises/{module.assignment}/")
