"""Collects the notebooks the syllabus names, for nbval, with the right mode for each:
lessons compare their stored outputs (`--nbval`), solutions only have to run (`--nbval-lax`).
Notebooks the syllabus does not name are not collected (a test elsewhere rejects them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Notebook kernels inherit this environment: the same as `ecole-ia run-lessons`, so stored
# outputs (set order, figures) are reproduced exactly.
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# One BLAS thread per kernel: pytest-xdist already fills the cores, and oversubscribed BLAS
# threads made some scikit-learn fits 10x slower under load.
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent


def _named_notebooks() -> dict[Path, bool]:
    """Path -> compare outputs? for every published lesson and solution notebook."""
    from ecole_ia.course import Course
    from ecole_ia.syllabus import load_syllabus

    syllabus = load_syllabus(Course(ROOT))  # an invalid syllabus fails collection loudly
    named: dict[Path, bool] = {}
    for module in syllabus.published():
        if module.lesson:
            named[(ROOT / module.lesson).resolve()] = True
        if module.assignment:
            for path in (ROOT / "solutions" / module.assignment).glob("*.ipynb"):
                named[path.resolve()] = False
    return named


def pytest_configure(config):
    config._ecole_ia_notebooks = None


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".ipynb":
        return None
    config = parent.config
    if config.option.nbval or config.option.nbval_lax:
        return None  # plain nbval was asked for on the command line: let it work alone
    if config._ecole_ia_notebooks is None:
        config._ecole_ia_notebooks = _named_notebooks()
    compare = config._ecole_ia_notebooks.get(file_path.resolve())
    if compare is None:
        return None
    from nbval.plugin import IPyNbFile

    notebook = IPyNbFile.from_parent(parent, path=file_path)
    notebook.compare_outputs = compare
    # `--dist loadscope` keeps the cells of a notebook (one kernel) on one worker.
    notebook.add_marker(pytest.mark.slow)
    return notebook
