"""Briefs: a module's project, described once as data and read by everything else.

A module's brief is declared in the syllabus (`brief: {title, points, days}`, assignment
`<module id>-brief`), and is an nbgrader assignment like any other: solutions/<brief>/ holds
its notebook, `grid.yml` its criteria (grids.py), tests grade what is measurable (a model
scored on hidden data, an API checked against its contract). `ecole-ia build` writes the
brief's frame right after its first cell, from the syllabus and the grid: the competencies
and levels it targets, the expected days, how the points split between tests and criteria,
and each criterion. So the statement a learner reads, the criteria a trainer scores in
formgrader and the competency report cannot disagree.
"""

from __future__ import annotations

import copy

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

from .grids import Grid, _points_fr
from .notebooks import nbgrader_meta
from .syllabus import LEVELS, Work

FRAME_ID = "brief-cadre"  # grade_id of the generated cell


def frame_markdown(work: Work, grid: Grid | None, labels: dict[str, str],
                   autograded: float) -> str:
    """The frame of a brief, in French, as the learner reads it."""
    days = work.module.brief.days
    day_text = f"{days:g}".replace(".", ",") + (" jours" if days >= 2 else " jour")  # 1,5 jour
    hours = f"{days * 7:g}".replace(".", ",")  # a school day is 7 hours
    competencies = "\n".join(
        f"| {code} | {labels.get(code, '')} | {level} ({LEVELS[level]}) |"
        for code, level in work.module.competencies.items())
    lines = [
        "## Le cadre de ce brief",
        "",
        f"**Durée prévue :** {day_text} de travail (environ {hours} heures).",
        "",
        "**Compétences visées**",
        "",
        "| Compétence | Intitulé | Niveau visé |",
        "|---|---|---|",
        competencies,
        "",
        f"**Comment ce brief est noté ({_points_fr(work.points)})**",
        "",
    ]
    if autograded:
        lines.append(f"- {_points_fr(autograded)} par les tests automatiques (cellules de test "
                     "sous vos réponses, dont certaines sur des données que vous ne voyez pas) ;")
    for criterion in (grid.criteria if grid else ()):
        lines.append(f"- {_points_fr(criterion.points)} par le formateur, critère « "
                     f"{criterion.title} » ({criterion.competency}) ;")
    if lines[-1].endswith(" ;"):
        lines[-1] = lines[-1][:-2] + "."
    lines += ["", "La grille complète de chaque critère est écrite sous la réponse qu'il évalue."]
    return "\n".join(lines)


def _frame_metadata() -> dict:
    return {"nbgrader": {"grade": False, "solution": False, "locked": True, "task": False,
                         "grade_id": FRAME_ID, "schema_version": 3},
            "ecole_ia": {"generated": "brief-frame"}}


def is_frame(cell) -> bool:
    return nbgrader_meta(cell).get("grade_id") == FRAME_ID


def sync_frame(nb: NotebookNode, text: str) -> tuple[NotebookNode, bool]:
    """`nb` with its frame cell (after the first cell) holding `text`; whether it changed."""
    nb = copy.deepcopy(nb)
    existing = [i for i, c in enumerate(nb.cells) if is_frame(c)]
    if existing == [1] and nb.cells[1].source == text:
        return nb, False
    for i in reversed(existing):
        del nb.cells[i]
    cell = new_markdown_cell(text, metadata=_frame_metadata())
    nb.cells.insert(1, cell)
    return nb, True
