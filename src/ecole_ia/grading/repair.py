"""Rebuild a damaged or tampered submission on the released notebook, before grading.

nbgrader trusts the cells it receives more than it should: a deleted test cell leaves a
submission "needing manual grading" forever, a duplicated cell stops grading with a misleading
"old metadata" error, an edited test cell is restored but a deleted answer is not. Instead of
patching these cases one by one, every submission is rebuilt on the notebook learners were
given (exercises/<assignment>/): the released cells, in their order, with the original
tests and locked cells, where each answer cell takes the learner's source. Cells the learner
added are kept, after the released cell that preceded them, so their helper code still runs.

Grading metadata is the released notebook's, always: a cell the learner added with nbgrader
metadata of its own (copied from another notebook, or forged to claim points) keeps its code
but loses the metadata, and a released cell whose grade, points or kind were edited gets
the original back. The maximum score is therefore always the assignment's.

Every difference is reported in French (`Repair.notes`), for the trainer's report and the
learner's feedback. The learner's own file is never lost: collect archived it first.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field

from nbformat import NotebookNode

from ..notebooks import nbgrader_meta

# What nbgrader reads to grade a cell; any other key (nbgrader's cell_type, schema) is not
# a claim on points.
GRADING_KEYS = ("grade", "solution", "locked", "task", "points", "grade_id")


def stub_markers(config) -> tuple[str, ...]:
    """The lines nbgrader writes in place of a solution, as the course configures them
    (`c.ClearSolutions.code_stub` per language and `text_stub` in nbgrader_config.py): a
    cell still holding one of them was left unanswered."""
    from nbgrader.preprocessors import ClearSolutions

    code = config.ClearSolutions.get("code_stub", ClearSolutions.code_stub.default())
    text = config.ClearSolutions.get("text_stub", ClearSolutions.text_stub.default())
    lines = [ln.strip() for stub in [*code.values(), text] for ln in stub.splitlines()]
    return tuple(ln for ln in lines if ln)


@dataclass
class Repair:
    notebook: NotebookNode
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.notes)


def _grading_meta(cell: NotebookNode) -> dict:
    meta = nbgrader_meta(cell)
    return {k: meta.get(k) for k in GRADING_KEYS if meta.get(k) not in (None, False, 0)}


def _choose(candidates: list[NotebookNode], stubs: tuple[str, ...]) -> NotebookNode:
    """Of several copies of one answer cell, the last one the learner filled in."""
    filled = [c for c in candidates if not any(marker in c.source for marker in stubs)]
    return (filled or candidates)[-1]


@dataclass
class _Sorted:
    """The submitted cells, sorted against the released notebook."""

    copies: dict[str, list[NotebookNode]] = field(default_factory=lambda: defaultdict(list))
    added: dict[int, list[NotebookNode]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)


def _pair_by_position(template, submitted, position, into: _Sorted) -> None:
    """Metadata stripped (e.g. a copy made in another editor): answers by their position."""
    into.notes.append("métadonnées de correction absentes : cellules appariées par leur position")
    for i, cell in enumerate(submitted.cells):
        if i in position.values() and nbgrader_meta(template[i]).get("solution"):
            into.copies[nbgrader_meta(template[i])["grade_id"]].append(cell)


def _sort_cells(template, submitted, position, answers_ids, into: _Sorted) -> None:
    """Answers by grade id (every copy), locked cells checked against the release, the
    learner's own cells kept after the released cell before them, without grading metadata."""
    notes = into.notes
    anchor, order, reported, forged = -1, [], set(), set()
    for cell in submitted.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in position:
            anchor = position[grade_id]
            if _grading_meta(cell) != _grading_meta(template[anchor]) and grade_id not in forged:
                notes.append(f"métadonnées de correction de la cellule « {grade_id} » "
                             "modifiées (points, type de cellule notée) : valeurs d'origine "
                             "rétablies")
                forged.add(grade_id)
            if grade_id in answers_ids:
                into.copies[grade_id].append(cell)
            elif anchor in order and grade_id not in reported:
                notes.append(f"cellule verrouillée « {grade_id} » en double : copie ignorée")
                reported.add(grade_id)
            elif cell.source != template[anchor].source and grade_id not in reported:
                notes.append(f"cellule verrouillée « {grade_id} » modifiée : "
                             "la version d'origine a été rétablie")
                reported.add(grade_id)
            order.append(anchor)
        else:
            kept = copy.deepcopy(cell)
            # Unknown grading metadata would stop nbgrader, or claim points: the cell
            # stays as the learner's code, without it.
            if _grading_meta(cell):
                what = f"« {grade_id} »" if grade_id else "sans identifiant"
                notes.append(f"cellule ajoutée {what} avec des métadonnées de correction "
                             "(notée, points) : métadonnées retirées, le code est conservé "
                             "sans être noté")
            kept.metadata.pop("nbgrader", None)
            into.added[anchor].append(kept)
    first_seen = list(dict.fromkeys(order))
    if first_seen != sorted(first_seen):
        notes.append("cellules déplacées : l'ordre d'origine a été rétabli")
    for grade_id, i in position.items():
        if i not in set(order):
            kind = "réponse" if grade_id in answers_ids else "verrouillée"
            notes.append(f"cellule {kind} « {grade_id} » supprimée : "
                         + ("comptée sans réponse" if kind == "réponse"
                            else "la version d'origine a été rétablie"))


def _assemble(template, found: _Sorted, stubs: tuple[str, ...]) -> list[NotebookNode]:
    """The released cells in order, answers taken from the learner, their own cells after."""
    cells = list(found.added.get(-1, []))
    for i, original in enumerate(template):
        cell = copy.deepcopy(original)
        grade_id = nbgrader_meta(original).get("grade_id")
        if grade_id in found.copies:
            candidates = found.copies[grade_id]
            chosen = _choose(candidates, stubs)
            if len(candidates) > 1:
                found.notes.append(f"cellule « {grade_id} » présente {len(candidates)} fois : "
                                   "seule la dernière complétée est corrigée")
            if chosen.cell_type != original.cell_type:
                found.notes.append(f"type de la cellule « {grade_id} » changé "
                                   f"({original.cell_type} → {chosen.cell_type}) : type "
                                   "d'origine rétabli")
            cell.source = chosen.source
        cells.append(cell)
        cells.extend(found.added.get(i, []))
    return cells


def rebuild(released: NotebookNode, submitted: NotebookNode,
            stubs: tuple[str, ...]) -> Repair:
    """The released notebook with the learner's answers and added cells (see module doc);
    `stubs` (stub_markers) tell an answer cell left as released from a filled one."""
    template = released.cells
    position = {nbgrader_meta(c)["grade_id"]: i for i, c in enumerate(template)
                if nbgrader_meta(c).get("grade_id")}
    answers_ids = {g for g, i in position.items() if nbgrader_meta(template[i]).get("solution")}
    known = [c for c in submitted.cells if nbgrader_meta(c).get("grade_id") in position]
    found = _Sorted()
    if not known and len(submitted.cells) == len(template):
        _pair_by_position(template, submitted, position, found)
    else:
        if not known:
            found.notes.append("métadonnées de correction absentes et cellules ajoutées ou "
                               "supprimées : les réponses n'ont pas pu être retrouvées")
        _sort_cells(template, submitted, position, answers_ids, found)
    rebuilt = copy.deepcopy(released)
    rebuilt.cells = _assemble(template, found, stubs)
    return Repair(rebuilt, found.notes)


def _released_path(config, assignment: str, notebook: str):
    from pathlib import Path

    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    return Path(coursedir.format_path(coursedir.release_directory, ".", assignment),
                f"{notebook}.ipynb")


def _preprocessor_base():
    from nbgrader.preprocessors import NbGraderPreprocessor

    return NbGraderPreprocessor


class RebuildOnRelease(_preprocessor_base()):
    """nbgrader step: rebuild the submission on the released notebook (`rebuild`) before
    nbgrader restores its test cells. Registered first in `c.Autograde.sanitize_preprocessors`
    (nbgrader_config.py), so plain `nbgrader autograde` and formgrader repair what
    `ecole-ia autograde` repairs; the notes go to nbgrader's log (ecole-ia's report shows them).
    Without a released version (an assignment never generated), the notebook is graded as
    it came, with a warning."""

    def preprocess(self, nb, resources):
        from nbformat import read

        info = resources["nbgrader"]
        path = _released_path(self.config, info["assignment"], info["notebook"])
        if not path.is_file():
            self.log.warning("ecole-ia: %s not found: submission graded without repair", path)
            return nb, resources
        repaired = rebuild(read(str(path), as_version=4), nb, stub_markers(self.config))
        for note in repaired.notes:
            self.log.warning("ecole-ia: %s/%s: %s", info["student"], info["notebook"], note)
        return repaired.notebook, resources
