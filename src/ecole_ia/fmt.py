"""`ecole-ia fmt`: every notebook of the course in its normal form (see notebooks.normalise)."""

from __future__ import annotations

from pathlib import Path

from .course import Course
from .notebooks import dumps, normalise, notebook_paths, read_notebook


def course_notebooks(course: Course) -> list[tuple[Path, bool]]:
    """(path, keep_outputs) for every notebook: lessons keep outputs, the rest do not."""
    result = [(p, True) for p in notebook_paths(course.curriculum)]
    for folder in (course.solutions, course.exercises):
        if folder.is_dir():
            result += [(p, False) for p in notebook_paths(folder)]
    return result


def unformatted(course: Course, write: bool, only: list[Path] | None = None) -> list[Path]:
    """Notebooks not in normal form; with `write`, rewrite them. Returns the paths concerned.

    `only` restricts the run to these notebooks or folders (so several authors can work at
    once without touching each other's files)."""
    chosen = [p.resolve() for p in only] if only else None
    changed = []
    for path, keep_outputs in course_notebooks(course):
        if chosen is not None and not any(
                path.resolve() == c or c in path.resolve().parents for c in chosen):
            continue
        text = path.read_text(encoding="utf-8")
        normal = dumps(normalise(read_notebook(path), keep_outputs=keep_outputs))
        if text != normal:
            changed.append(path)
            if write:
                path.write_text(normal, encoding="utf-8")
    return changed
