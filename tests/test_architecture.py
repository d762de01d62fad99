"""The package's layers (pyproject.toml, [tool.importlinter]) hold, and the check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=300)


def test_layers_hold():
    result = _lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    """Positive control: the engine importing the trainer's code is caught (so the check
    above cannot pass because import-linter looked at nothing)."""
    shutil.copytree(ROOT / "src" / "ecole_ia", tmp_path / "ecole_ia",
                    ignore=shutil.ignore_patterns("data", "__pycache__"))
    limits = tmp_path / "ecole_ia" / "grading" / "limits.py"
    limits.write_text(limits.read_text("utf-8") + "\nfrom ..trainer import roster  # upward\n",
                      "utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "ecole_ia.grading.limits -> ecole_ia.trainer.roster" in result.stdout, result.stdout
