"""A thin, typed layer over nbgrader's own machinery (converters and gradebook).

Everything here runs nbgrader for real; nothing re-implements grading. Each call builds its
own configuration from the course's `nbgrader_config.py`, so the repository's settings (stubs,
ignored files, timeouts) apply everywhere, and folders can be redirected to a scratch course.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import Execute
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from ..course import Course
from ..errors import CourseError


class GraderError(CourseError):
    """nbgrader refused or failed; the message carries its own log lines, `cause` the
    exception nbgrader caught before raising its own (None when it logged none)."""

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


class _CaughtExceptions(logging.Handler):
    """nbgrader catches a submission's exception, logs it, and raises its own generic one:
    this handler, called while nbgrader's `except` block runs, keeps the real exception (its
    type tells what failed; the text of the log never has to be parsed for that)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.caught: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else sys.exc_info()[1]
        if exc is not None and exc not in self.caught:
            self.caught.append(exc)


def course_config(course: Course, **course_directory: str) -> Config:
    """The course's nbgrader configuration, with CourseDirectory settings overridden."""
    loader = PyFileConfigLoader(course.nbgrader_config.name, path=str(course.root))
    config = loader.load_config()
    config.CourseDirectory.root = str(course.root)
    for key, value in course_directory.items():
        setattr(config.CourseDirectory, key, value)
    config.CourseDirectory.db_url = sqlite_url(
        config.CourseDirectory.get("db_url", "sqlite:///gradebook.db"), course.root)
    check_pipeline(config, course)
    return config


# The steps every autograde must run (nbgrader_config.py lists them in nbgrader's pipeline),
# so that the contract proves what the trainer, formgrader and plain nbgrader really run.
REQUIRED_STEPS = {
    "ecole_ia.grading.execute.GuardedExecute": "in place of nbgrader's Execute",
    "ecole_ia.grading.hand_grades.SettleHandGrades": "right after SaveAutoGrades",
}


REQUIRED_SANITIZE_STEPS = {
    "ecole_ia.grading.repair.RebuildOnRelease": "before OverwriteCells",
}


def _step_name(step) -> str:
    return step if isinstance(step, str) else f"{step.__module__}.{step.__qualname__}"


def check_pipeline(config: Config, course: Course) -> None:
    """Refuse, before any learner is graded, a configuration whose autograde pipeline lacks
    ecole-ia's steps or still runs nbgrader's plain Execute."""
    steps = [_step_name(s) for s in config.Autograde.get(
        "autograde_preprocessors", Autograde.autograde_preprocessors.default())]
    sanitize = [_step_name(s) for s in config.Autograde.get(
        "sanitize_preprocessors", Autograde.sanitize_preprocessors.default())]
    problems = [f"c.Autograde.autograde_preprocessors: {name} ({where})"
                for name, where in REQUIRED_STEPS.items() if name not in steps]
    problems += [f"c.Autograde.sanitize_preprocessors: {name} ({where})"
                 for name, where in REQUIRED_SANITIZE_STEPS.items() if name not in sanitize]
    if f"{Execute.__module__}.{Execute.__qualname__}" in steps or \
            "nbgrader.preprocessors.Execute" in steps:
        problems.append("c.Autograde.autograde_preprocessors: nbgrader's plain Execute must be "
                        "replaced by GuardedExecute")
    if problems:
        raise GraderError(
            f"{course.nbgrader_config}: nbgrader's autograde must run "
            + "; ".join(problems) + " — copy both lists from the repository's nbgrader_config.py")


def sqlite_url(db_url: str, root: Path) -> str:
    """A SQLite URL made absolute (nbgrader changes directory) and patient: with a busy
    timeout, parallel graders wait for each other's short writes instead of failing."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        return db_url  # PostgreSQL and friends handle concurrency themselves
    path, _, query = db_url[len(prefix):].partition("?")
    if not Path(path).is_absolute():
        path = str((Path(root) / path).resolve())
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # grading/ is not in git
    if "timeout=" not in query:
        query = "&".join(filter(None, [query, "timeout=120"]))
    return f"{prefix}{path}?{query}"


def scratch_config(course: Course, scratch: Path, gradebook: Path | None = None) -> Config:
    """Config of a throw-away course in `scratch` whose sources are the course's solutions/.
    Its gradebook (`scratch/gradebook.db` unless `gradebook` says otherwise) is prepared from
    a template when it does not exist yet (see `prepare_gradebook`)."""
    gradebook = gradebook or scratch / "gradebook.db"
    config = course_config(
        course,
        root=str(scratch),
        source_directory=str(course.solutions),
        release_directory=str(scratch / "release"),
        submitted_directory=str(scratch / "submitted"),
        autograded_directory=str(scratch / "autograded"),
        feedback_directory=str(scratch / "feedback"),
        db_url=f"sqlite:///{gradebook}",  # made patient by course_config
    )
    prepare_gradebook(gradebook, CourseDirectory(config=config).course_id)
    return config


def share_gradebook_engines() -> None:
    """nbgrader opens the gradebook a dozen times per submission, each time with a new
    SQLAlchemy engine, so every query is compiled again (0.08 CPU-second per submission).
    Called once in a grading worker: one engine per database URL serves every opening of
    this process, with the same connection settings, queries and transactions;
    `Gradebook.close` still disposes of the connections (the engine makes new ones)."""
    from nbgrader import api

    if getattr(api.create_engine, "ecole_ia_shared", False):
        return
    engines: dict[tuple, object] = {}
    create = api.create_engine

    def shared_engine(url, **options):
        key = (str(url), tuple(sorted(options.items())))
        if key not in engines:
            engines[key] = create(url, **options)
        return engines[key]

    shared_engine.ecole_ia_shared = True
    api.create_engine = shared_engine


_templates: dict[str, Path] = {}  # course_id -> empty gradebook made by nbgrader, per process


def prepare_gradebook(path: Path, course_id: str) -> None:
    """Create the empty SQLite gradebook `path`, unless it exists, by copying one that
    nbgrader's own `Gradebook` created once in this process.

    nbgrader creates a gradebook by running `alembic heads` in a subprocess (about 2.5
    CPU-seconds) to stamp its schema version; the copy is the same file, without the cost."""
    path = Path(path)
    if path.exists():
        return
    template = _templates.get(course_id)
    if template is None or not template.exists():
        import atexit
        import tempfile

        _ensure_tools_on_path()
        folder = Path(tempfile.mkdtemp(prefix="ecole-ia-gradebook-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "gradebook.db"
        Gradebook(f"sqlite:///{template}", course_id).close()
        _templates[course_id] = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)


def _ensure_tools_on_path() -> None:
    """nbgrader runs `alembic` by name after changing directory, so this environment's bin/
    must be on PATH as an absolute path (a relative `.venv/bin` entry breaks after chdir)."""
    bin_dir = str(Path(sys.executable).parent.absolute())
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    if shutil.which("alembic") is None:
        raise GraderError("nbgrader needs the `alembic` command, which is not installed in "
                          f"{bin_dir}: reinstall with `python3 tasks.py start`")


def run_app(app, what: str) -> str:
    """Start an nbgrader app, returning its log; raise GraderError with the log on failure."""
    _ensure_tools_on_path()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    handler.setLevel(logging.INFO)
    app.log.addHandler(handler)
    caught = _CaughtExceptions()
    app.log.addHandler(caught)
    try:
        app.start()
    except Exception as exc:  # nbgrader raises after logging the real reason
        log = buffer.getvalue()
        # nbgrader logs the reason first, then a traceback of its own internals: keep the reason.
        reason = log[log.find("[ERROR]"):] if "[ERROR]" in log else ""
        reason, _, trace = reason.partition("Traceback (most recent call last)")
        # ... and the exception line at the end of that traceback, when there is one.
        raised = [ln for ln in trace.splitlines() if re.match(r"^(\[ERROR\] )?\w+(Error|Exception)\b", ln)]
        lines = reason.strip().splitlines()[:25] + raised[-1:]
        detail = "\n".join(lines) or f"{type(exc).__name__}: {exc}"
        raise GraderError(f"{what} failed:\n{detail}",
                          cause=caught.caught[0] if caught.caught else exc) from None
    finally:
        app.log.removeHandler(handler)
        app.log.removeHandler(caught)
    return buffer.getvalue()


def generate_assignment(config: Config, assignment: str) -> str:
    """Run nbgrader's generate_assignment (student version + gradebook entry)."""
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    app = GenerateAssignment(coursedir=coursedir, config=config)
    app.force = True
    app.create_assignment = True
    return run_app(app, f"nbgrader generate_assignment {assignment}")


def autograde(config: Config, assignment: str, student: str) -> str:
    """Run nbgrader's autograde for one submission already in the submitted folder."""
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    for attempt in (1, 2):
        app = Autograde(coursedir=coursedir, config=config)
        app.force = True
        app.create_student = True
        try:
            return run_app(app, f"nbgrader autograde {assignment} for {student!r}")
        except GraderError as exc:
            # A kernel that never started says nothing about the notebook (an overloaded
            # machine): try once more before reporting it.
            if attempt == 2 or not any(m in str(exc) for m in KERNEL_START_FAILURES):
                raise
    raise AssertionError("unreachable")


KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info",
                         "Kernel didn't respond in")


@dataclass(frozen=True)
class CellScore:
    grade_id: str
    notebook: str
    score: float
    max_score: float
    needs_manual_grade: bool


@dataclass
class SubmissionScore:
    """Scores nbgrader stored in its gradebook for one learner's assignment."""

    student: str
    assignment: str
    cells: list[CellScore] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)

    def cell(self, grade_id: str) -> CellScore:
        for c in self.cells:
            if c.grade_id == grade_id:
                return c
        raise KeyError(grade_id)


def read_scores(db_url: str, assignment: str, student: str) -> SubmissionScore | None:
    """The gradebook's scores for one submission, or None if nbgrader recorded none."""
    with Gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        result = SubmissionScore(student, assignment)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                result.cells.append(
                    CellScore(
                        grade_id=grade.name,
                        notebook=notebook.name,
                        score=float(grade.score or 0),
                        max_score=float(grade.max_score),
                        needs_manual_grade=bool(grade.needs_manual_grade),
                    )
                )
        return result
