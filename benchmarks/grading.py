#!/usr/bin/env python3
"""Benchmark: `ecole-ia autograde` against one plain `nbgrader autograde` call, side by side.

Both tools grade the same submissions: the demo cohort's gradable ones (the infinite loop
and the broken file are left out, so that both do the same work), each run on a fresh copy
of one prepared course. Runs alternate (nbgrader, ecole-ia, ecole-ia, nbgrader, ...) and the
median of `--runs` is printed for each tool:

- wall time of the command;
- CPU time of its whole process tree (user + system, from getrusage of reaped children;
  this script is a child subreaper, so workers, kernels and helper processes that outlive
  their parent are reaped and counted here too);
- peak memory: the largest total PSS of the process tree (proportional set size: a page
  shared by forked processes is counted once, not once per process), sampled every 0.1 s
  from /proc/<pid>/smaps_rollup;
- the load average before each run (other jobs on the machine make every figure worse).

    .venv/bin/python benchmarks/grading.py [--runs 3] [--workers N] [--timeout S]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ecole_ia.grading import grader
from ecole_ia.course import Course
from ecole_ia.trainer import release, roster, workflow
from ecole_ia.trainer.demo import copy_course, first_assignment, make_cohort

PR_SET_CHILD_SUBREAPER = 36


class PeakMemory:
    """Samples the summed PSS of this process's descendants (not this process)."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree_pss() -> int:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
                pid, ppid = int(entry), int(fields["PPid"])
                children.setdefault(ppid, []).append(pid)
            except (OSError, KeyError, ValueError):
                continue
        total, todo = 0, list(children.get(os.getpid(), []))
        while todo:
            pid = todo.pop()
            total += PeakMemory._pss(pid)
            todo += children.get(pid, [])
        return total

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_pss())
            time.sleep(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def prepared_course(source: Course, folder: Path, assignment: str) -> tuple[Course, int]:
    """A course copy with the demo cohort collected and the ungradable two left out."""
    course = copy_course(source, folder / "cours", [assignment])
    cohort = make_cohort(course, assignment, folder)
    roster.import_roster(cohort.roster_csv, workflow.db_url(course))
    release.register(course, assignment)
    workflow.collect(course, assignment, cohort.export_zip, cohort.due)
    submitted = course.grading / "submitted"
    for notebook in submitted.glob(f"*/{assignment}/*.ipynb"):
        text = notebook.read_text("utf-8", "replace")
        try:
            json.loads(text)
        except ValueError:  # the broken file
            shutil.rmtree(notebook.parents[1])
            continue
        if "while True:\\n" in text:  # the infinite loop: it would only measure the timeout
            shutil.rmtree(notebook.parents[1])
    return course, len(list(submitted.iterdir()))


def reap_all() -> None:
    """Wait for every remaining descendant (orphans are ours: we are a subreaper)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with PeakMemory() as memory:
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - started
        reap_all()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "memory": memory.peak / 2**20, "load": load}


def scores(course_root: Path, assignment: str, learners: list[str]) -> dict[str, float]:
    course = Course(course_root)
    db_url = grader.course_config(course).CourseDirectory.db_url
    found = {}
    for learner in learners:
        result = grader.read_scores(db_url, assignment, learner)
        found[learner] = result.score if result else None
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="ecole-ia's --workers")
    parser.add_argument("--timeout", type=int, default=10, help="per-cell limit, seconds")
    args = parser.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    source = Course.find()
    assignment = first_assignment(source)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    tools = {
        # The baseline: nbgrader's sequential run, without the sandbox that the course's
        # configuration gives it by default since kernels can be isolated under plain
        # nbgrader too (GuardedExecute.isolate); the second row is that default.
        "nbgrader": ["nbgrader", "autograde", assignment, "--force",
                     f"--Execute.timeout={args.timeout}", "--log-level=ERROR",
                     "--GuardedExecute.isolate=False"],
        "nbgrader-sandbox": ["nbgrader", "autograde", assignment, "--force",
                             f"--Execute.timeout={args.timeout}", "--log-level=ERROR"],
        "ecole-ia": [str(bin_dir / "ecole-ia"), "autograde", assignment,
                     f"--timeout={args.timeout}"]
                    + ([f"--workers={args.workers}"] if args.workers else []),
    }
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in tools}
    with tempfile.TemporaryDirectory(prefix="ecole-ia-bench-") as tmp:
        tmp = Path(tmp)
        prepared, count = prepared_course(source, tmp / "prepared", assignment)
        learners = sorted(p.name for p in (prepared.grading / "submitted").iterdir())
        print(f"{count} submissions of {assignment}, {os.cpu_count()} cores, "
              f"{args.runs} alternating runs per tool", flush=True)
        last_scores = {}
        for run in range(args.runs):
            order = list(tools) if run % 2 == 0 else list(reversed(tools))
            for name in order:
                root = tmp / f"{name}-{run}"
                shutil.copytree(prepared.root, root, symlinks=True)
                figures[name].append(measure(tools[name], root, env))
                last_scores[name] = scores(root, assignment, learners)
                f = figures[name][-1]
                print(f"  run {run + 1} {name:>16}: {f['wall']:5.1f} s wall, {f['cpu']:5.1f} s CPU, "
                      f"{f['memory']:5.0f} MiB peak (load before: {f['load']:.2f})", flush=True)
                shutil.rmtree(root)
    median = {name: {k: statistics.median(f[k] for f in runs) for k in runs[0]}
              for name, runs in figures.items()}
    nb, ei = median["nbgrader"], median["ecole-ia"]
    print()
    print(f"medians of {args.runs} | wall | CPU (tree) | CPU per submission | peak memory")
    for name, m in median.items():
        print(f"{name:>16} | {m['wall']:5.1f} s | {m['cpu']:5.1f} s | {m['cpu'] / count:5.2f} s | "
              f"{m['memory']:5.0f} MiB")
    print(f"speed-up (nbgrader wall / ecole-ia wall): {nb['wall'] / ei['wall']:.2f}x   "
          "(goal >= 2.5x on 2 cores)")
    print(f"CPU ratio (ecole-ia / nbgrader): {ei['cpu'] / nb['cpu']:.2f}   (goal <= 1.0)")
    print(f"memory ratio (ecole-ia / nbgrader): {ei['memory'] / nb['memory']:.2f}")
    loads = ", ".join(f"{f['load']:.2f}" for runs in figures.values() for f in runs)
    print(f"load average (1 min) before the runs: {loads}")
    same = last_scores["nbgrader"] == last_scores["ecole-ia"]
    print(f"same scores from both tools: {'yes' if same else 'NO'}")
    if not same:
        for learner in learners:
            a, b = last_scores["nbgrader"][learner], last_scores["ecole-ia"][learner]
            if a != b:
                print(f"  {learner}: nbgrader {a}, ecole-ia {b}")


if __name__ == "__main__":
    main()
