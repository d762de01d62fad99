#!/usr/bin/env python3
"""Benchmark: grading throughput on a PostgreSQL gradebook against the default SQLite one.

The demo cohort's gradable submissions (24 learners, the absent one, the infinite loop and
the broken file left out, so that only grading is measured) are graded by
`ecole-ia autograde --workers N` on two fresh copies of one course: one with the default
SQLite gradebook, one with ECOLE_IA_DB_URL pointing at a throw-away PostgreSQL server
started from the distribution's packages (tests/pgserver.py; stopped at the end). Then
`ecole-ia report` reads each gradebook back. Runs alternate (SQLite, PostgreSQL, PostgreSQL,
SQLite, ...), each on a fresh gradebook, and the median of `--runs` is printed with the
load average before each run (other jobs on a shared machine make every figure worse).

    .venv/bin/python benchmarks/gradebook.py [--runs 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the throw-away PostgreSQL server

import pgserver  # noqa: E402

from ecole_ia.grading import grader  # noqa: E402
from ecole_ia.course import Course  # noqa: E402
from ecole_ia.trainer import release, roster, workflow  # noqa: E402
from ecole_ia.trainer.demo import copy_course, first_assignment, make_cohort  # noqa: E402

BIN = Path(sys.executable).parent


def prepared_course(folder: Path, assignment: str, db_url: str | None) -> tuple[Course, int]:
    """A course copy, its gradebook at `db_url` (None: SQLite), with the demo cohort
    collected and the two ungradable submissions left out."""
    os.environ.pop("ECOLE_IA_DB_URL", None)
    if db_url:
        os.environ["ECOLE_IA_DB_URL"] = db_url  # read by the course's nbgrader_config.py
    course = copy_course(Course(ROOT), folder / "cours", [assignment])
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
    os.environ.pop("ECOLE_IA_DB_URL", None)
    return course, len(list(submitted.iterdir()))


def timed(command: list[str], course: Course, db_url: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k != "ECOLE_IA_DB_URL"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # nbgrader calls alembic by name
    if db_url:
        env["ECOLE_IA_DB_URL"] = db_url
    started = time.perf_counter()
    done = subprocess.run(command + ["--root", str(course.root)], cwd=course.root, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def graded_scores(course: Course, assignment: str, db_url: str | None) -> dict[str, float]:
    url = db_url or grader.course_config(course).CourseDirectory.db_url
    learners = sorted(p.name for p in (course.grading / "submitted").iterdir())
    return {l: getattr(grader.read_scores(url, assignment, l), "score", None) for l in learners}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    assignment = first_assignment(Course(ROOT))
    figures: dict[str, list[dict[str, float]]] = {"SQLite": [], "PostgreSQL": []}
    scores: dict[str, dict[str, float]] = {}
    count = 0
    with pgserver.PostgresServer.start() as pg, \
            tempfile.TemporaryDirectory(prefix="ecole-ia-bench-") as scratch:
        order = ["SQLite", "PostgreSQL", "PostgreSQL", "SQLite"] * args.runs
        for i, backend in enumerate(order[:2 * args.runs]):
            db_url = pg.create_database(f"run{i}") if backend == "PostgreSQL" else None
            course, count = prepared_course(Path(scratch) / f"run{i}", assignment, db_url)
            load = os.getloadavg()[0]
            grading = timed([str(BIN / "ecole-ia"), "autograde", assignment,
                             "--workers", str(args.workers), "--timeout", "30"], course, db_url)
            report = timed([str(BIN / "ecole-ia"), "report", assignment], course, db_url)
            figures[backend].append({"grading": grading, "report": report, "load": load})
            scores[backend] = graded_scores(course, assignment, db_url)
            print(f"  {backend:<10} run {i + 1}: autograde {grading:6.1f} s, report "
                  f"{report:5.1f} s (load {load:.1f})", flush=True)
    if scores["SQLite"] != scores["PostgreSQL"]:
        sys.exit(f"the two gradebooks disagree:\n{scores}")
    print(f"\n{count} submissions of {assignment}, {args.workers} workers, median of "
          f"{args.runs} run(s); same scores in both gradebooks")
    print(f"{'gradebook':<11}{'autograde':>11}{'submissions/min':>17}{'report':>9}{'load':>7}")
    for backend, runs in figures.items():
        grading = statistics.median(r["grading"] for r in runs)
        report = statistics.median(r["report"] for r in runs)
        load = statistics.median(r["load"] for r in runs)
        print(f"{backend:<11}{grading:>9.1f} s{60 * count / grading:>17.1f}{report:>7.1f} s"
              f"{load:>7.1f}")


if __name__ == "__main__":
    main()
