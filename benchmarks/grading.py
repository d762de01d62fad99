#!/usr/bin/env python3
"""Benchmark: autograde the demo's 24-learner cohort three ways, in one run, and print figures.

1. plain `nbgrader autograde ASSIGNMENT` (nbgrader grades submissions one after another);
2. ecole-ia's grader with one worker, to measure each submission's own grading time;
3. ecole-ia's parallel grader with one worker per core;
4. the same without the sandbox (`isolate=False`), to measure what isolation costs.

"limit" is the sum of per-submission grading times (run 2) divided by the number of cores:
what perfect parallelism would reach. Peak memory is the largest total RSS of the process
tree (graders and kernels), sampled every 0.1 s from /proc (Linux).

    .venv/bin/python benchmarks/grading.py [--cores N] [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ecole_ia.course import Course
from ecole_ia.trainer import release, roster, workflow
from ecole_ia.trainer.autograde import autograde_all
from ecole_ia.trainer.demo import copy_course, first_assignment, make_cohort


class PeakMemory:
    """Samples the summed RSS of this process and all its descendants."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
                pid, ppid = int(entry), int(fields["PPid"])
                children.setdefault(ppid, []).append(pid)
                rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
            except (OSError, KeyError, ValueError):
                continue
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo += children.get(pid, [])
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            time.sleep(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def fresh_course(source: Course, folder: Path, assignment: str) -> Course:
    """A course copy with the demo cohort collected, ready to grade."""
    course = copy_course(source, folder / "cours", [assignment])
    cohort = make_cohort(course, assignment, folder)
    roster.import_roster(cohort.roster_csv, workflow.db_url(course))
    release.register(course, assignment)
    workflow.collect(course, assignment, cohort.export_zip, cohort.due)
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--timeout", type=int, default=10, help="per-cell limit, seconds")
    args = parser.parse_args()
    source = Course.find()
    assignment = first_assignment(source)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory(prefix="ecole-ia-bench-") as tmp:
        tmp = Path(tmp)
        runs = {}
        for name in ("nbgrader", "single", "parallel", "no-sandbox"):
            course = fresh_course(source, tmp / name, assignment)
            learners = len(list((course.grading / "submitted").iterdir()))
            with PeakMemory() as memory:
                started = time.perf_counter()
                if name == "nbgrader":
                    subprocess.run(["nbgrader", "autograde", assignment, "--force",
                                    f"--Execute.timeout={args.timeout}", "--log-level=ERROR"],
                                   cwd=course.root, env=env, check=False,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    results = None
                else:
                    workers = 1 if name == "single" else args.cores
                    results = autograde_all(course, assignment, workers=workers,
                                            timeout=args.timeout, isolate=name != "no-sandbox")
                wall = time.perf_counter() - started
            runs[name] = (wall, memory.peak, results)
            print(f"{name:>9}: {wall:6.1f} s wall, peak memory {memory.peak / 2**20:6.0f} MiB "
                  f"({learners} submissions)", flush=True)
    seq = runs["nbgrader"][0]
    par = runs["parallel"][0]
    per_submission = sum(r.seconds for r in runs["single"][2])
    limit = per_submission / args.cores
    print()
    print(f"cores: {args.cores}")
    print(f"sequential nbgrader autograde: {seq:.1f} s")
    print(f"ecole-ia parallel ({args.cores} workers): {par:.1f} s")
    print(f"speed-up over nbgrader: {seq / par:.2f}x   (target >= 1.8x on 2 cores)")
    print(f"limit (sum of per-submission times {per_submission:.1f} s / {args.cores} cores): "
          f"{limit:.1f} s;  parallel / limit = {par / limit:.2f}   (target <= 1.25)")
    print(f"sandbox cost: parallel {par:.1f} s vs {runs['no-sandbox'][0]:.1f} s without "
          f"({par / runs['no-sandbox'][0] - 1:+.0%})")


if __name__ == "__main__":
    main()
