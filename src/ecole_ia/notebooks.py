"""Reading, inspecting and normalising notebooks.

Normalising keeps diffs readable and makes `exercises/` reproducible byte for byte:
- solutions/ and exercises/ are stored without outputs or execution counts;
- lessons keep their outputs (learners read them on GitHub) but lose volatile metadata;
- every notebook gets the same kernelspec and deterministic cell ids.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .errors import NotebookError

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Cell metadata worth keeping: nbgrader's, the lock flags nbgrader sets, and tags (nbval's
# `nbval-ignore-output` and friends). Everything else is editor noise (scroll state, timings).
# `ecole_ia`: which answer a grid criterion judges (grids.py, grading/hand_grades.py).
KEPT_CELL_METADATA = ("nbgrader", "ecole_ia", "tags", "deletable", "editable")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise NotebookError(f"{path}: cannot be read as a notebook ({exc}). "
                            "Restore it from git or re-save it from JupyterLab.") from None


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def _cell_id(cell, index: int, used: set[str]) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    base = re.sub(r"[^A-Za-z0-9_-]", "-", grade_id)[:60] if grade_id else f"cell-{index}"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    used.add(candidate)
    return candidate


def _merge_streams(outputs: list) -> list:
    """Consecutive prints to the same stream as one output: the kernel splits them at
    varying places from run to run, which would change the stored lesson for nothing."""
    merged = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
            previous = merged[-1]["text"]
            merged[-1]["text"] = (previous if isinstance(previous, str) else "".join(previous)) + text
        else:
            merged.append(out)
    return merged


def normalise(nb: nbformat.NotebookNode, keep_outputs: bool) -> nbformat.NotebookNode:
    """A normalised copy of `nb` (the input is not modified)."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict(
        {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    )
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell.id = _cell_id(cell, index, used)
        cell.metadata = nbformat.from_dict(
            {k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata}
        )
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        if cell.cell_type == "code":
            if not keep_outputs:
                cell.outputs = []
                cell.execution_count = None
            else:
                cell.outputs = _merge_streams(cell.outputs)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            if cell.cell_type != "markdown":
                cell.pop("attachments", None)
    return nb


# -- nbgrader cells ----------------------------------------------------------------------


@dataclass(frozen=True)
class GradedCell:
    """A cell that carries points: autograded tests, an answer a trainer grades by hand, or a
    criterion of the grid (an nbgrader task cell, see grids.py) a trainer scores."""

    grade_id: str
    points: float
    index: int
    autograded: bool  # False for manually graded answers and criteria
    source: str
    criterion: bool = False  # an nbgrader task cell


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def graded_cells(nb) -> list[GradedCell]:
    result = []
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if meta.get("grade") or meta.get("task"):
            autograded = (cell.cell_type == "code" and not meta.get("solution", False)
                          and not meta.get("task"))
            result.append(
                GradedCell(meta.get("grade_id", f"cell {index + 1}"),
                           float(meta.get("points", 0) or 0), index, autograded, cell.source,
                           bool(meta.get("task")))
            )
    return result


def solution_cells(nb) -> dict[str, int]:
    """grade_id -> index of every cell a learner writes in."""
    return {
        nbgrader_meta(c)["grade_id"]: i
        for i, c in enumerate(nb.cells)
        if nbgrader_meta(c).get("solution") and "grade_id" in nbgrader_meta(c)
    }


def unmarked_lines(source: str) -> list[str]:
    """Lines outside every solution and hidden-test region (what nbgrader leaves visible)."""
    lines, depth = [], 0
    for line in source.splitlines():
        if BEGIN_SOLUTION in line or BEGIN_HIDDEN in line:
            depth += 1
        elif END_SOLUTION in line or END_HIDDEN in line:
            depth = max(0, depth - 1)
        elif depth == 0:
            lines.append(line)
    return lines


def marked_regions(source: str, begin: str, end: str) -> list[str]:
    """Lines found between `begin` and `end` marker comments."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def notebook_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
