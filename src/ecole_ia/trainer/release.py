"""Release: the student version as a zip for the school's platform, or through nbgrader's
exchange on a JupyterHub. Either way the course gradebook learns the assignment first, so
that collected submissions can be graded against it."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from nbgrader.exchange.default import ExchangeReleaseAssignment
from nbgrader.coursedir import CourseDirectory

from ..grading import grader
from ..course import Course
from ..errors import CourseError


def register(course: Course, assignment: str) -> None:
    """Record `assignment` and its graded cells in the course gradebook (exercises/ untouched)."""
    with tempfile.TemporaryDirectory(prefix="ecole-ia-release-") as tmp:
        config = grader.course_config(course, release_directory=str(Path(tmp) / "release"))
        grader.generate_assignment(config, assignment)


def release_zip(course: Course, assignment: str, dest: Path) -> Path:
    """Zip exercises/<assignment>/ (as learners download it) into `dest` (folder or .zip)."""
    folder = course.exercises / assignment
    if not folder.is_dir():
        raise CourseError(f"exercises/{assignment}/ does not exist: run `ecole-ia build {assignment}`")
    register(course, assignment)
    target = dest if dest.suffix == ".zip" else dest / f"{assignment}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, Path(assignment) / path.relative_to(folder))
    return target


def release_exchange(course: Course, assignment: str, exchange_root: str | None = None) -> str:
    """nbgrader's own `release_assignment` into the JupyterHub exchange folder."""
    register(course, assignment)
    config = grader.course_config(course)
    if exchange_root:
        config.Exchange.root = exchange_root
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    app = ExchangeReleaseAssignment(coursedir=coursedir, config=config)
    app.force = True
    return grader.run_app(app, f"nbgrader release_assignment {assignment}")
