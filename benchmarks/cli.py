#!/usr/bin/env python3
"""Benchmark: how long a person waits for `ecole-ia --help` and for a learner's `ecole-ia check`.

Each command runs as a fresh process, as typed in a terminal, several times alternating, and
the script prints the median and the best wall time, the median CPU time (user + system of
the command and its children, the kernel included), and what `import ecole_ia.cli` costs
(`python -X importtime`). `python -c pass` is the floor: the interpreter's own start.

    .venv/bin/python benchmarks/cli.py [--runs N] [--compare GIT_REF]

`--compare REF` measures the same commands on another commit too (its src/ and the exercise
extracted with `git archive` into a temporary folder, run with this venv), e.g. `--compare 28fa6fe` for the code before the lazy
imports: both columns come from the same run on the same machine. Targets (issue 11):
`--help` under 0.5 s, `check` on the blank dev-01 exercise under 2 s.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLANK = "exercises/dev-01-premiers-pas/dev-01-premiers-pas.ipynb"
LAUNCH = "import sys; from ecole_ia.cli import main; sys.argv[0] = 'ecole-ia'; main()"
COMMANDS = {
    "python -c pass (floor)": ["-c", "pass"],
    "ecole-ia --help": ["-c", LAUNCH, "--help"],
    f"ecole-ia check {BLANK.split('/')[-1]} (blank)": ["-c", LAUNCH, "check", BLANK],
}


def run_once(args: list[str], src: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process (CPU includes its children: the kernel)."""
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=src.parent, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_seconds(src: Path) -> float:
    """Cumulative import time of ecole_ia.cli, from `python -X importtime`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ecole_ia.cli"],
                           cwd=src.parent, env=env, capture_output=True, text=True).stderr
    found = re.search(r"\|\s*(\d+) \| ecole_ia\.cli\s*$", trace, re.M)
    return int(found.group(1)) / 1e6 if found else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--compare", metavar="GIT_REF", help="also measure this commit")
    args = parser.parse_args()

    trees = {"this tree": ROOT / "src"}
    scratch = None
    if args.compare:
        scratch = Path(tempfile.mkdtemp(prefix="ecole-ia-bench-"))
        archive = subprocess.run(["git", "archive", args.compare, "src", BLANK], cwd=ROOT,
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
        trees = {args.compare: scratch / "src", **trees}
    try:
        figures = {(tree, name): [] for tree in trees for name in COMMANDS}
        for tree, src in trees.items():  # warm the file cache, unmeasured
            for command in COMMANDS.values():
                run_once(command, src)
        for _ in range(args.runs):  # alternate, so that load from other jobs hits all alike
            for tree, src in trees.items():
                for name, command in COMMANDS.items():
                    figures[tree, name].append(run_once(command, src))
        print(f"{args.runs} runs each, alternating; {os.cpu_count()} cores; "
              f"load average {os.getloadavg()[0]:.1f}\n")
        width = max(len(n) for n in COMMANDS)
        print(f"{'command':<{width}}  {'tree':<12} {'median':>7} {'best':>7} {'CPU':>7}")
        for name in COMMANDS:
            for tree in trees:
                walls = [w for w, _ in figures[tree, name]]
                cpus = [c for _, c in figures[tree, name]]
                print(f"{name:<{width}}  {tree:<12} {statistics.median(walls):6.2f}s "
                      f"{min(walls):6.2f}s {statistics.median(cpus):6.2f}s")
        print()
        for tree, src in trees.items():
            print(f"import ecole_ia.cli ({tree}): {import_seconds(src):.3f} s")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
