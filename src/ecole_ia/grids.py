"""Grids: what a trainer grades by hand, written once as data and read by everything else.

An assignment's hand-graded work is described in `solutions/<assignment>/grid.yml`, a list
of **criteria**. Each criterion judges one answer the learner writes (a manually graded
answer cell, markdown or code), belongs to one competency of the module, and has levels:
what earns 0 points, what earns some, what earns them all.

In the notebook, each criterion is an nbgrader *task* cell placed right after the answer it
judges (nbgrader's "manually graded task": formgrader gives it its own score and comment
box). The criterion carries the points; the answer cell carries none (nbgrader insists that
a markdown answer be a graded cell: it gets 0 points), so a written answer
judged on three criteria gets three scores, each tied to its competency. `ecole-ia build`
writes those cells from this file (text, points, position), so the statement the learner
reads, the grid the trainer scores in formgrader and the competency report all come from
the same data, and `sync` tells the tests when a notebook and its grid disagree.

    - id: q7-resultats          # grade_id of the criterion's task cell
      answer: q7-conclusion     # grade_id of the answer cell it judges
      competency: C12           # one of the module's competencies (syllabus)
      title: Résultats chiffrés
      levels:                   # from 0 up; the highest is the criterion's points
        - {points: 0, description: Aucun chiffre, ou des chiffres sans comparaison.}
        - {points: 1, description: Les traitements et contaminations, comparés à une autre règle.}

A criterion can also record the **level of its competency** the learner reached (the school's
levels: 1 imitate, 2 adapt, 3 transpose): its levels then say which one each validates,

    - id: niveau-c12
      answer: q9-rapport
      competency: C12
      title: Niveau atteint en C12
      levels:
        - {points: 0, description: Compétence non démontrée.}
        - {points: 1, validates: 1, description: Reproduit la démarche de la leçon.}
        - {points: 2, validates: 2, description: L'adapte à un cas voisin.}
        - {points: 3, validates: 3, description: La transpose seule à un cas nouveau.}

and the trainer records the level by scoring the criterion in formgrader. The competency
reports (trainer/reports.py) then use that level instead of the half-the-points rule. A
criterion validates at most the level the syllabus gives the competency in the module.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import CourseError
from .notebooks import nbgrader_meta

GRID_FILE = "grid.yml"
GRADE_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    points: float = Field(ge=0)
    description: str = Field(min_length=3)
    validates: Literal[1, 2, 3] | None = None  # the competency level this level proves


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=GRADE_ID)
    answer: str = Field(pattern=GRADE_ID)
    competency: str = Field(pattern=r"^C([1-9]|1[0-9]|2[01])$")
    title: str = Field(min_length=3)
    levels: list[Level] = Field(min_length=2)

    @model_validator(mode="after")
    def _levels_climb_from_zero(self) -> "Criterion":
        points = [level.points for level in self.levels]
        if points[0] != 0:
            raise ValueError("the first level must be worth 0 points (what earns nothing)")
        if any(b <= a for a, b in zip(points, points[1:])):
            raise ValueError(f"levels must be listed from 0 up, each worth more: {points}")
        proves = [level.validates or 0 for level in self.levels]
        if self.records_level:
            if proves[0]:
                raise ValueError("the first level (0 points) cannot validate the competency")
            if any(b < a for a, b in zip(proves, proves[1:])):
                raise ValueError(f"`validates` must not go down as the levels climb: {proves}")
        return self

    @property
    def records_level(self) -> bool:
        """Does the trainer record the competency's level with this criterion?"""
        return any(level.validates for level in self.levels)

    @property
    def highest_validated(self) -> int:
        return max((level.validates or 0 for level in self.levels), default=0)

    def validated_level(self, score: float) -> int:
        """The competency level a score proves (0: none); only for `records_level`."""
        return self.level_for(score).validates or 0  # never lower above: see the validator

    @property
    def points(self) -> float:
        return self.levels[-1].points

    def level_for(self, score: float) -> Level:
        """The highest level a score reaches (a trainer may give points between two)."""
        return [level for level in self.levels if level.points <= score + 1e-9][-1] \
            if score >= 0 else self.levels[0]


@dataclass(frozen=True)
class Grid:
    path: Path
    criteria: tuple[Criterion, ...]

    def for_answer(self, answer: str) -> list[Criterion]:
        return [c for c in self.criteria if c.answer == answer]

    def criterion(self, grade_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == grade_id), None)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.criteria)


def grid_path(solutions: Path, assignment: str) -> Path:
    return solutions / assignment / GRID_FILE


def load_grid(path: Path, where: str | None = None) -> Grid | None:
    """The grid in `path`, or None when the assignment has none (nothing graded by hand)."""
    where = where or str(path)
    if not path.is_file():
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise CourseError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(raw, list):
        raise CourseError(f"{where}: expected a list of criteria (see docs/authoring.md)")
    criteria, problems = [], []
    for index, entry in enumerate(raw):
        name = entry.get("id", f"entry {index + 1}") if isinstance(entry, dict) else index + 1
        try:
            criteria.append(Criterion.model_validate(entry))
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}"
                                for e in exc.errors())
            problems.append(f"{where}: criterion {name!r}: {details}")
    ids = [c.id for c in criteria]
    problems += [f"{where}: criterion id {i!r} is used twice" for i in sorted(set(ids))
                 if ids.count(i) > 1]
    if problems:
        raise CourseError("\n".join(problems))
    return Grid(path, tuple(criteria))


def assignment_grid(solutions: Path, assignment: str) -> Grid | None:
    """The grid of `assignment` (solutions/<assignment>/grid.yml), or None."""
    return load_grid(grid_path(solutions, assignment), f"solutions/{assignment}/{GRID_FILE}")


# -- the task cell a criterion becomes ------------------------------------------------------


def _points_fr(points: float) -> str:
    text = f"{points:g}".replace(".", ",")
    return f"{text} point" + ("s" if points >= 2 else "")  # French: plural from 2


def criterion_markdown(criterion: Criterion, competency_label: str) -> str:
    """What the learner reads under their answer, and the trainer scores in formgrader."""
    heading = (f"**Critère noté par le formateur : {criterion.title}** "
               f"({_points_fr(criterion.points)}, compétence {criterion.competency} — "
               f"{competency_label})\n\n")
    if criterion.records_level:
        rows = "\n".join(
            f"| {_points_fr(level.points)} | "
            f"{f'niveau {level.validates}' if level.validates else 'non validée'} | "
            f"{level.description.strip()} |" for level in reversed(criterion.levels))
        return heading + f"| Note | Compétence | Ce qui est attendu |\n|---|---|---|\n{rows}"
    rows = "\n".join(f"| {_points_fr(level.points)} | {level.description.strip()} |"
                     for level in reversed(criterion.levels))
    return heading + f"| Note | Ce qui est attendu |\n|---|---|\n{rows}"


def _task_metadata(criterion: Criterion) -> dict:
    # `ecole_ia` tells the grading pipeline (grading/hand_grades.py) which answer the
    # criterion judges, without reading the course's files.
    return {"nbgrader": {"grade": False, "solution": False, "task": True, "locked": True,
                         "points": criterion.points, "grade_id": criterion.id,
                         "schema_version": 3},
            "ecole_ia": {"answer": criterion.answer, "competency": criterion.competency}}


def is_task(cell) -> bool:
    return bool(nbgrader_meta(cell).get("task"))


@dataclass
class Sync:
    """A solution notebook brought in line with its grid, and what could not be."""

    notebook: NotebookNode
    changed: bool
    problems: list[str]


def sync(nb: NotebookNode, grid: Grid | None, labels: dict[str, str],
         module_competencies: dict[str, int], where: str) -> Sync:
    """Place one task cell per criterion right after its answer, in the grid's order, with
    the grid's text and points; the answer cells judged by a grid carry no points. Only the
    criteria whose answer is in this notebook are placed (an assignment may have several).
    `problems` lists what only the author can fix (a task cell the grid does not know, a
    competency the module does not target); `unplaced` below finds criteria judging nothing."""
    answers = {nbgrader_meta(c).get("grade_id") for c in nb.cells
               if nbgrader_meta(c).get("solution")}
    criteria = [c for c in (grid.criteria if grid else ()) if c.answer in answers]
    problems: list[str] = []
    grid_where = f"{where.rsplit('/', 1)[0]}/{GRID_FILE}"
    known = {c.id for c in criteria}
    for index, cell in enumerate(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if is_task(cell) and gid not in known:
            problems.append(f"{where}: cell {index + 1} is a task cell {gid!r} that "
                            f"{grid_where} does not list; add its criterion there or delete it")
    for c in criteria:
        if c.competency not in module_competencies:
            problems.append(f"{grid_where}: criterion {c.id!r} assesses {c.competency}, which "
                            f"the module does not target (syllabus: {sorted(module_competencies)})")
        elif c.highest_validated > module_competencies[c.competency]:
            problems.append(
                f"{grid_where}: criterion {c.id!r} validates {c.competency} up to level "
                f"{c.highest_validated}, but the module targets it at level "
                f"{module_competencies[c.competency]} (syllabus); lower `validates`")
    if problems:
        return Sync(nb, False, problems)

    result = copy.deepcopy(nb)
    kept = [cell for cell in result.cells if not is_task(cell)]  # rebuilt below, in order
    cells = []
    for cell in kept:
        cells.append(cell)
        meta = nbgrader_meta(cell)
        judged_by = [c for c in criteria if c.answer == meta.get("grade_id")]
        if judged_by and meta.get("grade"):
            meta["points"] = 0  # the criteria carry this answer's points
            for c in judged_by:
                previous = next((old for old in nb.cells if is_task(old)
                                 and nbgrader_meta(old).get("grade_id") == c.id), None)
                task = new_markdown_cell(criterion_markdown(c, labels.get(c.competency, "")),
                                         metadata=_task_metadata(c))
                if previous is not None and "id" in previous:
                    task["id"] = previous["id"]
                cells.append(task)
    result.cells = cells
    return Sync(result, _comparable(result) != _comparable(nb), [])


def _comparable(nb: NotebookNode) -> list:
    return [(c.cell_type, c.source, nbgrader_meta(c)) for c in nb.cells]


def unplaced(grid: Grid, notebooks: list[NotebookNode], where: str) -> list[str]:
    """Criteria whose answer cell is in none of the assignment's notebooks."""
    answers = {nbgrader_meta(c).get("grade_id") for nb in notebooks for c in nb.cells
               if nbgrader_meta(c).get("solution")}
    return [f"{where}: criterion {c.id!r} judges {c.answer!r}, which is not an answer cell of "
            "the assignment's notebooks; fix `answer:` or add the answer cell"
            for c in grid.criteria if c.answer not in answers]
