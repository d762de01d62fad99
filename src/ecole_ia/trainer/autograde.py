"""Autograde every submission of an assignment in parallel, with nbgrader's own Autograde.

Each submission is graded in a worker process (default: one per core), each notebook in a
fresh kernel, with a per-cell time limit. Workers write to the same gradebook: SQLite waits
for the other writers (busy timeout) rather than failing, and nbgrader's writes are short.
One broken submission never stops the others: it gets an outcome and a reason.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Literal

import nbformat

from .. import grader
from ..course import Course
from ..notebooks import nbgrader_meta, read_notebook
from ..errors import CourseError, NotebookError
from ..messages import FRIENDLY, learner_message  # noqa: F401  (re-exported)
from .limits import Limits, apply as apply_limits
from .repair import rebuild
from . import sandbox

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
    questions: list[QuestionResult] = field(default_factory=list)
    seconds: float = 0.0
    anomalies: list[str] = field(default_factory=list)  # French: what repair.rebuild fixed


def preflight(course: Course, assignment: str, learner: str) -> str | None:
    """Why this submission cannot be graded at all (French), or None. Checked before nbgrader
    runs, so a broken file is rejected with a reason instead of a gradebook entry that
    "needs manual grading" forever."""
    folder = course.grading / "submitted" / learner / assignment
    for expected in sorted(p.name for p in (course.exercises / assignment).glob("*.ipynb")):
        path = folder / expected
        if not path.is_file():
            return f"le notebook {expected} est absent de l'envoi"
        try:
            nbformat.validate(nbformat.read(str(path), as_version=4))
        except Exception:
            return (f"{expected} n'est pas un notebook valide (fichier JSON illisible ou "
                    "incomplet) : ouvrez-le dans JupyterLab, enregistrez-le, puis déposez-le à "
                    "nouveau")
    return None


_SANDBOX_PLAN = ""  # set in each worker by _start_worker; empty = kernels not isolated
_LIMITS = Limits()


def _start_worker(limits: Limits, log_dir: str, plan: str) -> None:
    """Runs once in each worker process: its kernels inherit these limits and environment,
    and its and their stderr go to a log file instead of the trainer's terminal."""
    import tempfile
    import warnings

    global _SANDBOX_PLAN, _LIMITS
    _LIMITS = limits

    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    log = os.open(Path(log_dir) / f"worker-{os.getpid()}.log",
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    apply_limits(limits)
    # Kernels talk to nbgrader over Unix sockets in a short private folder (a network
    # namespace cuts TCP; socket paths must stay under 108 characters).
    runtime = tempfile.mkdtemp(prefix="eia-rt-")
    os.chmod(runtime, 0o1777)
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    if plan:
        decoded = sandbox.Plan.decode(plan)
        decoded.keep.append(runtime)
        if decoded.uid is not None:  # one user id per worker: its own process count
            decoded.uid += os.getpid() % 4000
        decoded.max_processes = limits.processes
        _SANDBOX_PLAN = decoded.encode()


def repair_submission(course: Course, assignment: str, learner: str) -> list[str]:
    """Rebuild each submitted notebook on its released version (repair.py); French notes.
    The file in submitted/ is rewritten only when something was wrong; collect's archive
    keeps what the learner sent."""
    folder = course.grading / "submitted" / learner / assignment
    notes = []
    for released_path in sorted((course.exercises / assignment).glob("*.ipynb")):
        path = folder / released_path.name
        raw = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        if raw.nbformat < 4:
            notes.append(f"{path.name} : ancien format de notebook (v{raw.nbformat}) converti")
        repaired = rebuild(read_notebook(released_path), nbformat.read(str(path), as_version=4))
        notes += [f"{path.name} : {n}" for n in repaired.notes]
        if repaired.changed or raw.nbformat < 4:
            tmp = path.with_suffix(".tmp")
            nbformat.write(repaired.notebook, str(tmp))
            tmp.replace(path)
    return notes


def _grade_one(root: str, assignment: str, learner: str,
               timeout: int) -> tuple[str, str | None, float, list[str]]:
    """Worker: run nbgrader autograde for one submission;
    return (learner, error, seconds, anomalies)."""
    started = time.perf_counter()
    course = Course(Path(root))
    config = grader.course_config(course)
    config.Execute.timeout = timeout
    config.GuardedExecute.max_output_kb = _LIMITS.output_kb
    config.GuardedExecute.notebook_timeout = _LIMITS.notebook_seconds
    if _SANDBOX_PLAN:
        config.KernelManager.transport = "ipc"
        config.SandboxedKernelManager.sandbox_plan = _SANDBOX_PLAN
    rejected = preflight(course, assignment, learner)
    if rejected:
        return learner, REJECTED + rejected, time.perf_counter() - started, []
    anomalies: list[str] = []
    try:
        anomalies = repair_submission(course, assignment, learner)
        grader.autograde(config, assignment, learner)
        error = None
    except grader.GraderError as exc:
        error = str(exc)
    except Exception as exc:  # anything else is reported for this learner only
        error = f"{type(exc).__name__}: {exc}"
    return learner, error, time.perf_counter() - started, anomalies


# Errors that make a grading partial, and how the report names them (French).
LIMIT_REASONS = {
    "CellTimeoutError": "temps limite dépassé",
    "NotebookTimeoutError": "temps total du notebook dépassé",
    "OutputLimitError": "sortie trop volumineuse",
    "KernelTamperError": "noyau modifié pour empêcher les tests (à vérifier par le formateur)",
}
REJECTED = "rejected before grading: "
WORKER_DIED = ("la correction de cet envoi a arrêté le correcteur (mémoire ou processus "
               "épuisés) : vérifiez que le notebook s'exécute de bout en bout")
SANDBOX_UID = 61000  # first of the unprivileged user ids kernels run as (one per worker)


def _rejection_reason(error: str) -> str:
    if error.startswith(REJECTED):
        return error[len(REJECTED):]
    lowered = error.lower()
    if "notjson" in lowered or "not valid json" in lowered or ("json" in lowered and "decode" in lowered):
        return ("le fichier n'est pas un notebook valide (JSON illisible) : ouvrez-le dans "
                "JupyterLab, enregistrez-le, puis déposez-le à nouveau")
    if "dead" in lowered or "kernel died" in lowered or "unresponsive" in lowered:
        return ("le noyau Python s'est arrêté pendant la correction (mémoire saturée ou "
                "plantage) : vérifiez que le notebook s'exécute de bout en bout")
    if "no notebooks were" in lowered or "no such file" in lowered:
        return "le notebook attendu est absent de l'envoi"
    first = next((ln for ln in error.splitlines() if "[ERROR]" in ln), error.splitlines()[0])
    return f"la correction automatique a échoué : {first.replace('[ERROR] ', '')[:200]}"


def outcome(course: Course, assignment: str, learner: str, error: str | None,
            seconds: float) -> GradeResult:
    """Read what nbgrader recorded for one submission and give it a status and reasons."""
    config = grader.course_config(course)
    scores = grader.read_scores(config.CourseDirectory.db_url, assignment, learner)
    result = GradeResult(learner, assignment, "graded", seconds=round(seconds, 2))
    if error and error.startswith(REJECTED):
        result.status, result.reason = "rejected", _rejection_reason(error)
        return result
    if scores is None or (error and all(c.needs_manual_grade for c in scores.cells)):
        result.status, result.reason = "rejected", _rejection_reason(error or "aucun score")
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
    elif error:
        result.status, result.reason = "partial", _rejection_reason(error)
    return result


def status_file(course: Course, assignment: str) -> Path:
    return course.grading / "status" / f"{assignment}.json"


def save_results(course: Course, assignment: str, results: list[GradeResult]) -> None:
    """Merge into grading/status/<assignment>.json (other learners' rows are kept)."""
    path = status_file(course, assignment)
    rows = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    rows.update({r.learner: asdict(r) for r in results})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(path)  # atomic: a crash never leaves half a file


def load_results(course: Course, assignment: str) -> dict[str, GradeResult]:
    path = status_file(course, assignment)
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text("utf-8"))
    return {k: GradeResult(**{**v, "questions": [QuestionResult(**q) for q in v["questions"]]})
            for k, v in rows.items()}


def submitted_learners(course: Course, assignment: str) -> list[str]:
    config = grader.course_config(course)
    submitted = Path(config.CourseDirectory.root) / config.CourseDirectory.submitted_directory
    return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())


def autograde_all(course: Course, assignment: str, learners: list[str] | None = None,
                  workers: int | None = None, timeout: int = 60,
                  on_done: Callable[[GradeResult], None] | None = None,
                  limits: Limits = Limits(), isolate: bool = True,
                  on_warning: Callable[[str], None] | None = None) -> list[GradeResult]:
    """Grade `learners` (default: everyone who submitted) with `workers` processes.

    With `isolate`, each kernel runs in the sandbox (see sandbox.py); where this machine
    cannot provide it, `on_warning` is told why and grading goes on without it."""
    learners = learners if learners is not None else submitted_learners(course, assignment)
    if not learners:
        raise CourseError(f"no submission for {assignment!r} in grading/submitted/: "
                          "run `ecole-ia collect` first")
    plan = ""
    if isolate:
        unavailable = sandbox.probe()
        if unavailable is None:
            plan = sandbox.default_plan(course.root, uid=SANDBOX_UID if os.geteuid() == 0
                                        else None).encode()
        elif on_warning:
            on_warning("learners' code is NOT isolated on this machine (" + unavailable +
                       "): only the clean environment and resource limits apply")
    workers = max(1, min(workers or os.cpu_count() or 1, len(learners)))
    results, pending, solo = [], list(learners), False

    def done(result: GradeResult) -> None:
        results.append(result)
        pending.remove(result.learner)
        if on_done:
            on_done(result)

    while pending:
        # After a worker died, the rest is graded one submission per pool, so the one that
        # kills its worker is known and rejected, and nobody else is affected.
        batch = pending[:1] if solo else list(pending)
        # spawn: workers start clean (no inherited event loops or open gradebook connections).
        with ProcessPoolExecutor(max_workers=1 if solo else workers,
                                 mp_context=get_context("spawn"), initializer=_start_worker,
                                 initargs=(limits, str(course.grading / "logs"), plan)) as pool:
            jobs = {pool.submit(_grade_one, str(course.root), assignment, l, timeout): l
                    for l in batch}
            for job in as_completed(jobs):
                try:
                    learner, error, seconds, anomalies = job.result()
                except Exception:  # the worker process died (killed, out of memory…)
                    if solo:
                        done(GradeResult(jobs[job], assignment, "rejected", reason=WORKER_DIED))
                    solo = True
                    continue
                result = outcome(course, assignment, learner, error, seconds)
                result.anomalies = anomalies
                done(result)
    results.sort(key=lambda r: r.learner)
    save_results(course, assignment, results)
    return results
