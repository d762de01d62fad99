"""JupyterLab in the learner's or the trainer's mode, chosen by configuration folders.

The modes are plain Jupyter configuration committed in the course, under `jupyter/`:

    jupyter/learner/    jupyter_server_config.py (nbgrader's formgrader and course list off)
                        labconfig/page_config.json (their panels and the create-assignment
                        sidebar off in the browser)
    jupyter/trainer/    jupyter_server_config.py (every nbgrader tool, as installed)
    jupyter/settings/   overrides.json: French interface, no "official Jupyter news" prompt

`ecole-ia lab` only puts one of the two folders on `JUPYTER_CONFIG_PATH` (after the user's
own ~/.jupyter, so a person's settings still win) and starts `jupyter lab` from the course
root, so nbgrader's tools find `nbgrader_config.py`. Nothing here imports Jupyter.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .course import Course
from .errors import CourseError

MODES = ("learner", "trainer")


@dataclass(frozen=True)
class LabLaunch:
    """How to start JupyterLab: the command, its environment and its working folder."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    folder: Path  # what the file browser shows


def config_dir(course: Course, mode: str) -> Path:
    """The course's Jupyter configuration folder for `mode` ("learner" or "trainer")."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (expected one of {MODES})")
    folder = course.root / "jupyter" / mode
    if not (folder / "jupyter_server_config.py").is_file():
        raise CourseError(f"configuration JupyterLab introuvable : {folder} "
                          "(mettez à jour votre copie du dépôt ecole-ia avec git pull).")
    return folder


def find_course(root: Path | None = None) -> Course:
    """The course around `root` (default: the current folder); failing that, without `root`,
    the clone this package was installed from (`pip install -e .`), so that a learner can
    start JupyterLab from the workspace too."""
    try:
        return Course.find(root)
    except CourseError:
        if root is not None:
            raise
        clone = Path(__file__).resolve().parents[2]
        try:
            return Course.find(clone)
        except CourseError:
            raise CourseError("dossier du cours introuvable : lancez ecole-ia lab depuis votre "
                              "copie du dépôt ecole-ia, ou indiquez-la avec --root.") from None


def lab_launch(course: Course, *, trainer: bool = False, folder: Path | None = None,
               extra: list[str] | None = None) -> LabLaunch:
    """The `jupyter lab` to start. Learners see `folder` (default: their workspace, created if
    needed); trainers see the course root by default."""
    from .workspace import default_workspace

    environ = dict(os.environ)
    mode = "trainer" if trainer else "learner"
    config = config_dir(course, mode)
    if folder is None:
        folder = course.root if trainer else default_workspace()
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = [str(config)] + [p for p in environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)
                            if p and Path(p).resolve() not in {
                                config_dir(course, m).resolve() for m in MODES}]
    environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(path)
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and CI run as root; Jupyter refuses otherwise
    argv += list(extra or [])
    return LabLaunch(argv=argv, env=environ, cwd=course.root, folder=folder)
