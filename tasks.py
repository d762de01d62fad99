#!/usr/bin/env python3
"""One task runner for people and CI. Needs only Python >= 3.11 and pip.

    python3 tasks.py start   # set up .venv, check the course, run the trainer demo (24 learners)
    python3 tasks.py test    # set up .venv with test tools, then run the whole test suite
    python3 tasks.py quick   # the fast local loop: only what the changed files touch

Both create `.venv/` on first use and reinstall only when pyproject.toml changes.
Extra arguments after `test` go to pytest (e.g. `python3 tasks.py test -m "not slow"`).
`quick [--base REF]` compares the working tree (new files included) with REF, by default
where the branch left origin/main (or HEAD when there is no origin/main), then runs the fast
tests and only the slow ones the changed files touch (see the root conftest.py); CI always
runs everything.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _env() -> dict[str, str]:
    # nbgrader calls `alembic` and `jupyter` by name: the venv's bin/ must come first on PATH.
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("PYTHONHASHSEED", "0")  # deterministic set/dict order in notebooks
    env.setdefault("MPLBACKEND", "Agg")    # no screen on CI
    # Both jobs run several kernels and workers at once on shared cores: one thread per
    # numerical library (OpenBLAS's idle threads spin; same rule as grading kernels, see
    # src/ecole_ia/grading/limits.py). The lessons' stored outputs do not change.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    # The hostile-corpus tests fail (instead of skipping) where the grading sandbox is
    # missing; ECOLE_IA_REQUIRE_SANDBOX=0 runs the suite on a machine that cannot have it.
    env.setdefault("ECOLE_IA_REQUIRE_SANDBOX", "1")
    return env


def _run(*args: str | Path) -> None:
    print("$", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=_env())
    if result.returncode != 0:
        sys.exit(result.returncode)


# Debian packages that tests drive for real, each with a file that shows it is installed: a
# browser for the JupyterLab tests (tests/test_lab.py) and a PostgreSQL server for the
# gradebook tests (tests/test_postgres.py).
SYSTEM_PACKAGES = {"chromium": "/usr/bin/chromium",
                   "postgresql": "/usr/lib/postgresql/*/bin/initdb"}


def system_packages() -> None:
    """Install the missing SYSTEM_PACKAGES with apt-get when running as root (CI, containers);
    elsewhere the tests that need them are skipped and say why."""
    missing = [name for name, probe in SYSTEM_PACKAGES.items() if not glob.glob(probe)]
    if not missing or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    env = {**_env(), "DEBIAN_FRONTEND": "noninteractive"}
    print(f"$ apt-get install -y {' '.join(missing)}", flush=True)
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        if subprocess.run(step, env=env).returncode != 0:
            print(f"warning: {' '.join(step)} failed; the tests that need "
                  f"{', '.join(missing)} will be skipped", flush=True)
            return


def setup(extras: str) -> None:
    """Create .venv and install the package (editable) with `extras`, once per pyproject."""
    if extras == "test":
        system_packages()
    if not (BIN / "python").exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target)
    # The kernel that notebooks and the grader start must be this venv's Python.
    _run(BIN / "python", "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
         "--display-name", "Python 3 (ecole-ia)")
    stamp.write_text(digest)


def start(args: list[str]) -> None:
    """The main job: check the course, then a trainer's whole week on a generated cohort."""
    setup("")
    _run(BIN / "ecole-ia", "syllabus")
    _run(BIN / "ecole-ia", "build", "--check")
    _run(BIN / "ecole-ia", "demo", *args)


def _pytest(*args: str) -> None:
    workers = os.environ.get("ECOLE_IA_WORKERS", "auto")
    # loadscope keeps every cell of one notebook (one kernel), and every clause of one
    # assignment's contract (one class, one grading), on the same worker. The root conftest.py
    # orders the scopes longest first (no reordering by xdist), so both workers finish together.
    # --durations: the slowest tests are printed on every run (CI included), so the next
    # regression in speed is visible; a later --durations=N in `args` overrides it.
    _run(BIN / "python", "-m", "pytest", "-n", workers, "--dist", "loadscope",
         "--no-loadscope-reorder", "--durations=25", *args)


def test(args: list[str]) -> None:
    """The whole suite: what CI runs (.ci/run)."""
    setup("test")
    _pytest(*args)


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def changed_files(base: str | None) -> tuple[str, list[str]]:
    """(what was compared, files that differ): the working tree (staged, unstaged and new
    files) against `base`, by default the fork point from origin/main when there is one,
    else HEAD."""
    if base is None:
        has_origin = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "origin/main"],
                                    cwd=ROOT, capture_output=True).returncode == 0
        base = _git("merge-base", "HEAD", "origin/main").strip() if has_origin else "HEAD"
        label = "origin/main" if has_origin else "HEAD"
    else:
        label = base
    files = _git("diff", "--name-only", "--no-renames", base, "--").splitlines()
    files += _git("ls-files", "--others", "--exclude-standard").splitlines()
    return label, sorted(set(files))


def quick(args: list[str]) -> None:
    """The fast local loop: the fast tests, and the slow ones the changed files touch."""
    base = None
    if args[:1] == ["--base"] and len(args) > 1:
        base, args = args[1], args[2:]
    setup("test")
    label, files = changed_files(base)
    print(f"{len(files)} file(s) changed against {label}" + "".join(
        f"\n  {f}" for f in files[:30]) + ("\n  ..." if len(files) > 30 else ""), flush=True)
    _pytest(f"--changed={','.join(files)}", *args)


TASKS = {"start": start, "test": test, "quick": quick}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(__doc__)
    TASKS[sys.argv[1]](sys.argv[2:])
