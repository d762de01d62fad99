"""The weekly cycle as a few library calls the CLI and the demo share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from ..grading import grader
from ..course import Course
from ..grids import assignment_grid
from ..notebooks import notebook_paths
from ..syllabus import Syllabus
from . import collect as collect_mod
from .autograde import GradeResult, autograde_all
from .feedback import write_feedback
from .hand_grading import standings
from ..grading.limits import Limits
from . import records
from .reports import collect_file
from .roster import Learner, load_roster


def db_url(course: Course) -> str:
    return grader.course_config(course).CourseDirectory.db_url


def roster(course: Course) -> list[Learner]:
    return load_roster(db_url(course))


def collect(course: Course, assignment: str, export: Path,
            due: datetime | None = None) -> collect_mod.CollectReport:
    expected = [p.name for p in notebook_paths(course.exercises / assignment)]
    report = collect_mod.collect(export, assignment, roster(course), expected, course.grading, due)
    # Remember lateness for the reports (merged: earlier collections are kept).
    path = collect_file(course, assignment)
    rows = records.read(path, "collect")
    for c in report.collected:
        if c.new or c.learner.id not in rows:
            rows[c.learner.id] = {"version": c.graded_version, "timestamp": c.timestamp.isoformat(),
                                  "late_seconds": c.late_by.total_seconds() if c.late_by else 0,
                                  "notes": c.notes, "rejected": c.rejected}
    records.write(path, "collect", rows)
    return report


def feedback(course: Course, syllabus: Syllabus, assignment: str) -> list[Path]:
    """One page per learner with an autograde record or a gradebook entry, from the scores
    and comments in the gradebook now (a trainer's hand grading included)."""
    learners = {l.id: l for l in roster(course)}
    title = syllabus.work_for(assignment).title
    grid = assignment_grid(course.solutions, assignment)
    late = records.read(collect_file(course, assignment), "collect")
    written = []
    for learner_id, now in standings(course, db_url(course), assignment).items():
        learner = learners.get(learner_id) or Learner(learner_id, learner_id, "")
        written.append(write_feedback(course, assignment, title, learner, now, grid,
                                      late.get(learner_id, {}).get("late_seconds")))
    return written


def grade(course: Course, assignment: str, workers: int | None, timeout: int,
          on_done: Callable[[GradeResult], None] | None = None,
          limits: Limits | None = None, isolate: bool = True,
          on_warning: Callable[[str], None] | None = None,
          skip_graded: bool = False) -> list[GradeResult]:
    return autograde_all(course, assignment, workers=workers, timeout=timeout, on_done=on_done,
                         limits=limits or Limits(), isolate=isolate, on_warning=on_warning,
                         skip_graded=skip_graded)
