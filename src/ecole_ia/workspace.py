"""A learner's own workspace: released exercises copied out of the tracked course.

A learner who works in `exercises/` of their clone edits tracked files (the next `git pull`
conflicts with their answers) and leaves `.ipynb_checkpoints/` in the course. `fetch` copies
a released exercise, with its data files, into a personal folder outside the clone, as
`nbgrader fetch_assignment` does on a JupyterHub, and never overwrites work already there.

Light on purpose (no nbgrader, no pydantic): a learner runs it on a laptop.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .course import Course
from .errors import CourseError

# nbgrader's own default for CourseDirectory.ignore (nbgrader/coursedir.py), used when the
# course's nbgrader_config.py does not set it.
NBGRADER_DEFAULT_IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]


def default_workspace() -> Path:
    """Where exercises go by default: `$ECOLE_IA_WORKSPACE`, else `~/ecole-ia`."""
    return Path(os.environ.get("ECOLE_IA_WORKSPACE") or Path.home() / "ecole-ia")


def ignore_patterns(course: Course) -> list[str]:
    """The file names and globs nbgrader skips when it copies a folder
    (`c.CourseDirectory.ignore` in the course's nbgrader_config.py)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(course.nbgrader_config.name, path=str(course.root)).load_config()
    if "ignore" in config.CourseDirectory:
        return list(config.CourseDirectory.ignore)
    return list(NBGRADER_DEFAULT_IGNORE)


def is_ignored(relative: str | PurePosixPath, patterns: list[str]) -> bool:
    """True if any part of the relative path matches a pattern (nbgrader matches names
    while it walks folders, so everything under an ignored folder is ignored too)."""
    return any(fnmatch.fnmatch(part, pattern)
               for part in PurePosixPath(relative).parts for pattern in patterns)


@dataclass(frozen=True)
class Fetched:
    """An exercise copied into a learner's workspace."""

    assignment: str
    folder: Path          # the learner's copy: <workspace>/<assignment>/
    files: list[Path]     # every file copied, notebooks first

    @property
    def notebooks(self) -> list[Path]:
        return [p for p in self.files if p.suffix == ".ipynb"]


def released_assignments(course: Course) -> list[str]:
    return sorted(p.name for p in course.exercises.iterdir()
                  if p.is_dir() and not p.name.startswith(".")) if course.exercises.is_dir() else []


def fetch(course: Course, assignment: str, workspace: Path | None = None) -> Fetched:
    """Copy `exercises/<assignment>/` to `<workspace>/<assignment>/`; refuse to touch a copy
    that is already there (it holds the learner's work). Messages are for learners: French."""
    source = course.exercises / assignment
    if not source.is_dir():
        known = ", ".join(released_assignments(course)) or "aucun"
        raise CourseError(f"L'exercice « {assignment} » n'existe pas dans {course.exercises} : "
                          f"vérifiez son nom. Exercices disponibles : {known}.")
    workspace = (workspace or default_workspace()).expanduser().resolve()
    if workspace == course.root or course.root in workspace.parents:
        raise CourseError(f"{workspace} est dans le dossier du cours ({course.root}), suivi par "
                          "git : vos réponses y seraient mêlées aux mises à jour du cours. "
                          "Choisissez un dossier en dehors, par exemple --to ~/ecole-ia.")
    target = workspace / assignment
    if target.exists() and any(target.iterdir()):
        raise CourseError(f"Le dossier {target} existe déjà : il contient sans doute votre "
                          "travail, il n'a pas été modifié. Continuez à travailler dedans ; pour "
                          "repartir de la version distribuée, renommez-le (par exemple en "
                          f"{assignment}-ancien) puis relancez ecole-ia fetch {assignment}.")
    patterns = ignore_patterns(course)
    chosen = sorted((p for p in source.rglob("*") if p.is_file()
                     and not is_ignored(p.relative_to(source).as_posix(), patterns)),
                    key=lambda p: (p.suffix != ".ipynb", p.relative_to(source).as_posix()))
    copied = []
    for path in chosen:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        copied.append(destination)
    return Fetched(assignment, target, copied)
