"""Autograde every submission of an assignment in parallel, with nbgrader's own Autograde.

Each submission is graded in a worker process (default: one per core), each notebook in a
fresh kernel, with a per-cell time limit. Workers write to the same gradebook: SQLite waits
for the other writers (busy timeout) rather than failing, and nbgrader's writes are short.
One broken submission never stops the others: it gets an outcome and a reason.

Speed (README, "Grading speed"): workers are forked from the trainer's process, which has
imported nbgrader already, load the course configuration once, and start kernels from a
zygote that imported ipykernel once (sandbox.py); each submission still gets a fresh kernel.

Crash safety: workers, zygotes and kernels die with the trainer's process (parent-death
signals); each outcome is written to grading/status/ as soon as it is known, so an
interrupted run keeps what it graded, and `skip_graded` grades only what is missing.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Literal

import nbformat

from ..grading import grader
from ..course import Course
from ..notebooks import nbgrader_meta, read_notebook
from ..errors import CourseError, NotebookError
from ..grading.failures import classify
from ..grading.messages import (LIMIT_REASONS, Failure, failure_message,  # noqa: F401
                                learner_message)
from ..grading.limits import Limits, apply as apply_limits
from ..grading.repair import rebuild, stub_markers
from ..grading import execute, sandbox
from . import records

Status = Literal["graded", "partial", "rejected"]


@dataclass
class QuestionResult:
    grade_id: str
    score: float
    max_score: float
    message: str = ""      # what the learner reads (French), empty when passed


@dataclass
class GradeResult:
    learner: str
    assignment: str
    status: Status
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""       # French, for partial and rejected outcomes
    failure: str = ""      # a grading.messages.Failure value when nbgrader could not grade
    questions: list[QuestionResult] = field(default_factory=list)
    seconds: float = 0.0
    anomalies: list[str] = field(default_factory=list)  # French: what repair.rebuild fixed
    graded_hash: str = ""  # sha256 of the notebooks graded (after repair), to reuse the above


def preflight(course: Course, assignment: str, learner: str) -> tuple[Failure, str] | None:
    """Why this submission cannot be graded at all (kind, French sentence naming the file),
    or None. Checked before nbgrader runs, so a broken file is rejected with a reason
    instead of a gradebook entry that "needs manual grading" forever."""
    folder = course.grading / "submitted" / learner / assignment
    for expected in sorted(p.name for p in (course.exercises / assignment).glob("*.ipynb")):
        path = folder / expected
        if not path.is_file():
            return Failure.NOTEBOOK_MISSING, f"le notebook {expected} est absent de l'envoi"
        try:
            nbformat.validate(nbformat.read(str(path), as_version=4))
        except Exception:  # whatever nbformat raises, the file cannot be read as a notebook
            return Failure.NOT_A_NOTEBOOK, (
                f"{expected} n'est pas un notebook valide (fichier JSON illisible ou "
                "incomplet) : ouvrez-le dans JupyterLab, enregistrez-le, puis déposez-le à "
                "nouveau")
    return None


@dataclass
class _Worker:
    """What a grading worker keeps between submissions (loaded once, in _start_worker)."""

    course: Course
    config: object             # the course's nbgrader Config, with this run's options
    log: str                   # this worker's log file (its stderr and its kernels')


_worker: _Worker | None = None


def _start_worker(root: str, timeout: int, limits: Limits, log_dir: str, plan: str,
                  preload: tuple[str, ...] = ()) -> None:
    """Runs once in each worker process: it dies with the trainer's process, its kernels
    inherit these limits and environment, its and their stderr go to a log file instead of
    the trainer's terminal, and the configuration and the kernel zygote are made once."""
    import tempfile
    import warnings

    global _worker
    sandbox.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the trainer's process
    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    log_path = str(Path(log_dir) / f"worker-{os.getpid()}.log")
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    # The configuration is read before the environment is cleaned for kernels: the course's
    # nbgrader_config.py may take the gradebook's URL (and its password) from ECOLE_IA_DB_URL,
    # which the worker needs and kernels must not see.
    course = Course(Path(root))
    config = grader.course_config(course)
    apply_limits(limits)
    # Kernels talk to nbgrader over Unix sockets in a short private folder (a network
    # namespace cuts TCP; socket paths must stay under 108 characters).
    runtime = tempfile.mkdtemp(prefix="eia-rt-")
    os.chmod(runtime, 0o1777)
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    config.Execute.timeout = timeout
    config.GuardedExecute.max_output_kb = limits.output_kb
    config.GuardedExecute.notebook_timeout = limits.notebook_seconds
    # This run decided on isolation already (probe, --no-isolate): the execution step must
    # not make a plan of its own, as it does under plain nbgrader.
    config.GuardedExecute.isolate = False
    if plan:
        decoded = sandbox.Plan.decode(plan)
        decoded.keep.append(runtime)
        if decoded.uid is not None:  # one user id per worker: its own process count
            decoded.uid += os.getpid() % 4000
        decoded.max_processes = limits.processes
        config.KernelManager.transport = "ipc"
        config.SandboxedKernelManager.sandbox_plan = decoded.encode()
    execute.cache_metadata_checks()
    grader.share_gradebook_engines()
    execute.start_zygote(preload)
    _worker = _Worker(course, config, log_path)


def _notebooks_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.ipynb")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def repair_submission(course: Course, assignment: str, learner: str,
                      known: tuple[str, list[str]] | None = None,
                      config=None) -> tuple[list[str], str]:
    """Rebuild each submitted notebook on its released version (repair.py); return the
    French notes and the hash of the notebooks that will be graded.

    The file in submitted/ is rewritten only when something was wrong (collect's archive
    keeps what the learner sent), so a second grading finds nothing left to repair: `known`
    (hash, notes) from the previous grading gives the notes back while the file is still
    the one that repair wrote."""
    folder = course.grading / "submitted" / learner / assignment
    stubs = stub_markers(config or grader.course_config(course))
    notes = []
    for released_path in sorted((course.exercises / assignment).glob("*.ipynb")):
        path = folder / released_path.name
        raw = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        if raw.nbformat < 4:
            notes.append(f"{path.name} : ancien format de notebook (v{raw.nbformat}) converti")
        current = nbformat.convert(raw, 4) if raw.nbformat != 4 else raw
        repaired = rebuild(read_notebook(released_path), current, stubs)
        notes += [f"{path.name} : {n}" for n in repaired.notes]
        if repaired.changed or raw.nbformat < 4:
            tmp = path.with_suffix(".tmp")
            nbformat.write(repaired.notebook, str(tmp))
            tmp.replace(path)
    graded = _notebooks_hash(folder)
    if not notes and known and known[0] == graded:
        notes = list(known[1])
    return notes, graded


def _log_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _sandbox_failure(log: str, since: int) -> str | None:
    """The launcher's own reason when the sandbox refused to start a kernel while this
    submission was graded (it writes "ecole-ia sandbox: ..." to the worker's log)."""
    try:
        with open(log, "rb") as handle:
            handle.seek(since)
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [ln.strip() for ln in text.splitlines() if ln.startswith("ecole-ia sandbox:")]
    return lines[-1][len("ecole-ia sandbox:"):].strip() if lines else None


def _grade_one(assignment: str, learner: str,
               known: tuple[str, list[str]] | None) -> GradeResult:
    """Worker: repair, run nbgrader autograde for one submission, read its outcome."""
    assert _worker is not None, "_start_worker did not run in this process"
    started = time.perf_counter()
    course, config = _worker.course, _worker.config
    rejected = preflight(course, assignment, learner)
    if rejected:
        return GradeResult(learner, assignment, "rejected", reason=rejected[1],
                           failure=rejected[0].value,
                           seconds=round(time.perf_counter() - started, 2))
    log_start = _log_size(_worker.log)
    execute.incidents.clear()
    anomalies, graded_hash, failure = [], "", None
    try:
        anomalies, graded_hash = repair_submission(course, assignment, learner, known, config)
        grader.autograde(config, assignment, learner)
    except Exception as exc:  # reported for this learner only; the story goes to the log
        detail = str(exc) if isinstance(exc, grader.GraderError) else f"{type(exc).__name__}: {exc}"
        print(f"ecole-ia: {learner}: {detail}", file=sys.stderr, flush=True)
        cause = exc.cause if isinstance(exc, grader.GraderError) else exc
        failure = failure_reason(cause, _sandbox_failure(_worker.log, log_start), _worker.log)
    result = outcome(course, assignment, learner, failure, time.perf_counter() - started,
                     config=config)
    result.anomalies, result.graded_hash = anomalies, graded_hash
    return result


SANDBOX_UID = sandbox.SANDBOX_UID  # kept here for the tests and benchmarks that import it


def failure_reason(cause: BaseException | None, sandbox_reason: str | None,
                   log: str) -> tuple[Failure, str]:
    """Why nbgrader could not grade a submission: its kind, from typed facts
    (grading/failures.py), and the French sentence of the catalogue naming the worker's log."""
    kind = classify(cause, sandbox_reason)
    return kind, failure_message(kind, sandbox_reason or "", log)


def outcome(course: Course, assignment: str, learner: str,
            failure: tuple[Failure, str] | None, seconds: float, config=None) -> GradeResult:
    """Read what nbgrader recorded for one submission and give it a status and reasons
    (`failure`: why nbgrader stopped, kind and French sentence, or None)."""
    config = config or grader.course_config(course)
    scores = grader.read_scores(config.CourseDirectory.db_url, assignment, learner)
    result = GradeResult(learner, assignment, "graded", seconds=round(seconds, 2))
    kind, sentence = failure or (None, "")
    result.failure = kind.value if kind else ""
    if scores is None or (failure and all(c.needs_manual_grade for c in scores.cells)):
        result.status = "rejected"
        result.reason = sentence or "nbgrader n'a enregistré aucune note pour cet envoi"
        return result
    autograded = Path(config.CourseDirectory.root) / config.CourseDirectory.autograded_directory
    failures, flagged = {}, {kind: [] for kind in LIMIT_REASONS}
    for path in sorted((autograded / learner / assignment).glob("*.ipynb")):
        try:
            nb = read_notebook(path)
        except NotebookError:
            continue
        for cell in nb.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and gid:
                    failures[gid] = learner_message(out["ename"], out.get("evalue", ""))
                    if out["ename"] in flagged:
                        flagged[out["ename"]].append(gid)
    for cell in scores.cells:
        message = failures.get(cell.grade_id, "") if cell.score < cell.max_score else ""
        if cell.needs_manual_grade and not message:
            message = "à corriger par le formateur"
        result.questions.append(QuestionResult(cell.grade_id, cell.score, cell.max_score, message))
    result.score, result.max_score = scores.score, scores.max_score
    reasons = [f"{LIMIT_REASONS[kind]} : {', '.join(ids)}" for kind, ids in flagged.items() if ids]
    if reasons:
        result.status, result.reason = "partial", " ; ".join(reasons)
    elif failure:
        result.status, result.reason = "partial", sentence
    return result


def status_file(course: Course, assignment: str) -> Path:
    return course.grading / "status" / f"{assignment}.json"


def save_results(course: Course, assignment: str, results: list[GradeResult]) -> None:
    """Merge into grading/status/<assignment>.json (other learners' rows are kept), at once
    for each submission as it finishes (records.py: atomic, versioned)."""
    path = status_file(course, assignment)
    rows = records.read(path, "outcomes")
    rows.update({r.learner: asdict(r) for r in results})
    records.write(path, "outcomes", rows)


def load_results(course: Course, assignment: str) -> dict[str, GradeResult]:
    rows = records.read(status_file(course, assignment), "outcomes")
    known = set(GradeResult.__dataclass_fields__)
    return {k: GradeResult(**{**{f: x for f, x in v.items() if f in known},
                              "questions": [QuestionResult(**q) for q in v["questions"]]})
            for k, v in rows.items()}


def submitted_learners(course: Course, assignment: str) -> list[str]:
    config = grader.course_config(course)
    submitted = Path(config.CourseDirectory.root) / config.CourseDirectory.submitted_directory
    return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())


class GradingInterrupted(KeyboardInterrupt):
    """Ctrl-C during grading: every worker and kernel is stopped; `results` holds what was
    graded (already saved), `left` the learners still to grade."""

    def __init__(self, results: list[GradeResult], left: list[str]):
        super().__init__(f"interrupted: {len(results)} graded, {len(left)} left")
        self.results, self.left = results, left


def _context():
    """Workers forked from this process, which has imported the grading modules already (a
    spawned worker spends 1.6-2 CPU-seconds importing them again, a fork server as much once
    more). What a fork copies is the trainer's own state; learners' code never sees it, as
    kernels come from a zygote started afresh (sandbox.py)."""
    sys.stdout.flush()  # or a worker would print again what is still buffered
    sys.stderr.flush()
    return get_context("fork")


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's processes now (their zygotes and kernels die with them)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def to_grade(course: Course, assignment: str, learners: list[str]) -> list[str]:
    """Of `learners`, those whose submission has no outcome yet, or changed since."""
    previous = load_results(course, assignment)
    folder = course.grading / "submitted"
    return [l for l in learners if l not in previous or not previous[l].graded_hash
            or previous[l].graded_hash != _notebooks_hash(folder / l / assignment)]


def _isolation_plan(course: Course, limits: Limits, isolate: bool,
                    on_warning: Callable[[str], None] | None) -> str:
    """The sandbox plan for this run's kernels ("" without isolation), probed once."""
    if not isolate:
        return ""
    unavailable = sandbox.probe()
    if unavailable is not None:
        if on_warning:
            on_warning("learners' code is NOT isolated on this machine (" + unavailable +
                       "): only the clean environment and resource limits apply")
        return ""
    return sandbox.default_plan(course.root, uid=SANDBOX_UID if os.geteuid() == 0 else None,
                                limits=limits).encode()


def _select(course: Course, assignment: str, learners: list[str] | None, skip_graded: bool,
            on_warning: Callable[[str], None] | None) -> tuple[list[str], list[GradeResult]]:
    """(learners to grade, outcomes kept as they are)."""
    learners = learners if learners is not None else submitted_learners(course, assignment)
    if not learners:
        raise CourseError(f"no submission for {assignment!r} in grading/submitted/: "
                          "run `ecole-ia collect` first")
    if not skip_graded:
        return learners, []
    previous = load_results(course, assignment)
    todo = to_grade(course, assignment, learners)
    kept = [previous[l] for l in learners if l not in todo]
    if kept and on_warning:
        on_warning(f"{len(kept)} submission(s) already graded and unchanged: kept as they "
                   f"are; grading the {len(todo)} left (--all grades everything again)")
    return todo, kept


def autograde_all(course: Course, assignment: str, learners: list[str] | None = None,
                  workers: int | None = None, timeout: int = 60,
                  on_done: Callable[[GradeResult], None] | None = None,
                  limits: Limits = Limits(), isolate: bool = True,
                  on_warning: Callable[[str], None] | None = None,
                  skip_graded: bool = False) -> list[GradeResult]:
    """Grade `learners` (default: everyone who submitted) with `workers` processes.

    With `isolate`, each kernel runs in the sandbox (see sandbox.py); where this machine
    cannot provide it, `on_warning` is told why and grading goes on without it. Each outcome
    is saved as soon as it is known. With `skip_graded`, submissions already graded and
    unchanged since keep their outcome (returned too) and are not graded again.
    Ctrl-C raises GradingInterrupted once every grading process is stopped."""
    grader.course_config(course)  # a broken configuration is reported once, before anyone
    previous = load_results(course, assignment)  # a damaged record file, too
    learners, kept = _select(course, assignment, learners, skip_graded, on_warning)
    if not learners:
        return sorted(kept, key=lambda r: r.learner)
    plan = _isolation_plan(course, limits, isolate, on_warning)
    # What the released notebooks import is preloaded once per worker (execute.PRELOAD).
    preload = execute.preload_for(read_notebook(p) for p in
                                  sorted((course.exercises / assignment).glob("*.ipynb")))
    workers = max(1, min(workers or os.cpu_count() or 1, len(learners)))
    known = {l: (r.graded_hash, r.anomalies) for l, r in previous.items() if r.graded_hash}
    results: list[GradeResult] = []
    pending, solo = list(learners), False

    def done(result: GradeResult) -> None:
        save_results(course, assignment, [result])  # at once: an interrupted run keeps it
        results.append(result)
        pending.remove(result.learner)
        if on_done:
            on_done(result)

    def failed(learner: str, kind: Failure, detail: str = "") -> GradeResult:
        return GradeResult(learner, assignment, "rejected", failure=kind.value,
                           reason=failure_message(kind, detail) + (f" ({detail})" if detail
                                                                   else ""))

    context = _context()
    while pending:
        # After a worker died, the rest is graded one submission per pool, so the one that
        # kills its worker is known and rejected, and nobody else is affected.
        batch = pending[:1] if solo else list(pending)
        pool = ProcessPoolExecutor(
            max_workers=1 if solo else workers, mp_context=context, initializer=_start_worker,
            initargs=(str(course.root), timeout, limits, str(course.grading / "logs"), plan,
                      preload))
        try:
            jobs = {pool.submit(_grade_one, assignment, l, known.get(l)): l for l in batch}
            for job in as_completed(jobs):
                try:
                    result = job.result()
                except BrokenProcessPool:  # the worker process died (killed, out of memory…)
                    if solo:
                        done(failed(jobs[job], Failure.WORKER_DIED))
                    solo = True
                    continue
                except Exception as exc:  # a fault of ecole-ia's, named, for this learner
                    result = failed(jobs[job], Failure.UNEXPECTED, f"{type(exc).__name__}: {exc}")
                done(result)
        except KeyboardInterrupt:
            _stop_workers(pool)
            raise GradingInterrupted(sorted(results, key=lambda r: r.learner),
                                     list(pending)) from None
        finally:
            pool.shutdown(wait=True)
    return sorted(results + kept, key=lambda r: r.learner)
