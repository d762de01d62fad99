"""Grids (grid.yml): one source for the criteria the learner reads, the trainer scores in
formgrader and the competency report counts (src/ecole_ia/grids.py)."""

from __future__ import annotations

import nbformat
import pytest
import yaml

from ecole_ia import build
from ecole_ia.errors import CourseError
from ecole_ia.grids import load_grid, sync
from ecole_ia.notebooks import graded_cells, nbgrader_meta, read_notebook, write_notebook

import minicourse
from minicourse import ASSIGNMENT, _meta

CRITERIA = [
    {"id": "q5-chiffres", "answer": "q5-analyse", "competency": "C17", "title": "Des chiffres",
     "levels": [{"points": 0, "description": "Aucun chiffre."},
                {"points": 0.5, "description": "Un chiffre, sans comparaison."},
                {"points": 2, "description": "Les chiffres utiles, comparés."}]},
    {"id": "q5-clarte", "answer": "q5-analyse", "competency": "C17", "title": "Clarté",
     "levels": [{"points": 0, "description": "Confus."},
                {"points": 1, "description": "Clair pour un viticulteur."}]},
]


def _write_grid(tmp_path, criteria):
    path = tmp_path / "grid.yml"
    path.write_text(yaml.safe_dump(criteria, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda c: c["levels"].reverse(), "first level must be worth 0 points"),
    (lambda c: c["levels"].insert(2, {"points": 0.25, "description": "Entre deux."}),
     "each worth more"),
    (lambda c: c.update(competence="C3"), "competence"),
    (lambda c: c.update(competency="C42"), "competency"),
    (lambda c: c.update(levels=c["levels"][:1]), "levels"),
])
def test_an_invalid_grid_names_the_file_the_criterion_and_the_field(tmp_path, change, message):
    """Does a mistake in grid.yml say where it is and what is wrong?"""
    criteria = yaml.safe_load(yaml.safe_dump(CRITERIA))
    change(criteria[0])
    with pytest.raises(CourseError) as error:
        load_grid(_write_grid(tmp_path, criteria))
    assert "grid.yml" in str(error.value) and "q5-chiffres" in str(error.value)
    assert message in str(error.value)


def test_a_criterion_id_used_twice_is_refused(tmp_path):
    with pytest.raises(CourseError, match="used twice"):
        load_grid(_write_grid(tmp_path, [CRITERIA[0], CRITERIA[0]]))


def _notebook_with_written_answer():
    nb = minicourse.solution_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "Réponse modèle : 12 traitements au lieu de 40.",
        metadata=_meta("q5-analyse", grade=True, solution=True, points=3)))
    nb.cells.append(nbformat.v4.new_markdown_cell("## Pour finir", metadata=_meta("fin", locked=True)))
    return nb


def test_sync_places_one_task_cell_per_criterion_after_its_answer(tmp_path):
    """Do the criteria become task cells, in order, carrying the points, right after the
    answer (which then carries none), and is a second sync a no-op?"""
    grid = load_grid(_write_grid(tmp_path, CRITERIA))
    result = sync(_notebook_with_written_answer(), grid, {"C17": "Développer"}, {"C17": 2}, "x.ipynb")
    assert result.changed and result.problems == []
    ids = [nbgrader_meta(c).get("grade_id") for c in result.notebook.cells]
    assert ids[-4:] == ["q5-analyse", "q5-chiffres", "q5-clarte", "fin"]
    task = result.notebook.cells[-3]
    assert nbgrader_meta(task)["task"] and nbgrader_meta(task)["points"] == 2
    assert task.metadata["ecole_ia"] == {"answer": "q5-analyse", "competency": "C17"}
    assert "| 0,5 point | Un chiffre, sans comparaison. |" in task.source
    assert "compétence C17 — Développer" in task.source
    assert nbgrader_meta(result.notebook.cells[-4])["points"] == 0
    cells = graded_cells(result.notebook)
    assert sum(c.points for c in cells) == 4 + 3  # four tests + the grid
    assert [c.grade_id for c in cells if c.criterion] == ["q5-chiffres", "q5-clarte"]
    again = sync(result.notebook, grid, {"C17": "Développer"}, {"C17": 2}, "x.ipynb")
    assert not again.changed


def test_sync_names_what_only_the_author_can_fix(tmp_path):
    """A task cell the grid does not list, a competency the module does not target."""
    grid = load_grid(_write_grid(tmp_path, CRITERIA))
    placed = sync(_notebook_with_written_answer(), grid, {}, {"C17": 2}, "s/a/a.ipynb").notebook
    shorter = load_grid(_write_grid(tmp_path, CRITERIA[:1]))
    result = sync(placed, shorter, {}, {"C17": 2}, "s/a/a.ipynb")
    assert any("task cell 'q5-clarte'" in p and "s/a/grid.yml" in p for p in result.problems)
    result = sync(placed, grid, {}, {"C3": 2}, "s/a/a.ipynb")
    assert any("assesses C17, which the module does not target" in p for p in result.problems)


@pytest.mark.slow  # runs nbgrader generate_assignment twice
def test_build_writes_the_criteria_and_check_notices_a_stale_grid(tmp_path):
    """`ecole-ia build` writes the criteria cells from grid.yml into solutions/ and
    exercises/; after an edit of grid.yml, `build --check` reports the notebook."""
    course = minicourse.make(tmp_path / "course", build=False)
    sol = course.solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    write_notebook(_notebook_with_written_answer(), sol)
    _write_grid(sol.parent, CRITERIA)
    # The module's points now include the grid: 4 tests + 3 points of criteria.
    syllabus = course.syllabus_file.read_text(encoding="utf-8").replace("points: 4", "points: 7")
    course.syllabus_file.write_text(syllabus, encoding="utf-8")
    build.build(course, ASSIGNMENT)
    student = read_notebook(course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert [nbgrader_meta(c).get("grade_id") for c in student.cells][-4:-1] == \
        ["q5-analyse", "q5-chiffres", "q5-clarte"]
    assert not (course.exercises / ASSIGNMENT / "grid.yml").exists()  # rendered, not shipped
    assert build.drift(course, ASSIGNMENT) == []

    changed = yaml.safe_load((sol.parent / "grid.yml").read_text(encoding="utf-8"))
    changed[1]["title"] = "Clarté pour un viticulteur"
    _write_grid(sol.parent, changed)
    problems = build.drift(course, ASSIGNMENT)
    assert [p.problem for p in problems][:1] == ["grid"]
    assert "grid.yml" in str(problems[0])

    changed[1]["answer"] = "q9-absente"
    _write_grid(sol.parent, changed)
    with pytest.raises(CourseError, match="judges 'q9-absente'"):
        build.drift(course, ASSIGNMENT)
