"""The grading contract: what "this exercise works" means, proved with nbgrader for real.

For one assignment, in a scratch course (the repository is only read), `gather` builds the
student version with nbgrader and grades learner-shaped submissions (the solution, the
untouched student version, every wrong answer of wrong_answers.yml, an always-equal cheat):
each is the *student* version with answer cells filled in, so the test cells graded are
always nbgrader's own copies from the gradebook. Then each clause of `CLAUSES` (number,
title, check) judges that evidence; the CLI (`ecole-ia contract --list`), the authoring
guide (checked by tests/test_contract_static.py) and the tests (one per clause, in
tests/test_grading_contract.py) all derive from that list.
"""

from __future__ import annotations

import ast
import re
import copy
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import nbformat
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import build
from .grading import grader
from .course import Course
from .errors import CourseError
from .notebooks import (
    BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION,
    graded_cells, marked_regions, nbgrader_meta, notebook_paths, read_notebook, solution_cells,
    unmarked_lines,
    write_notebook,
)
from .syllabus import Syllabus

MIN_WRONG_ANSWERS = 3
MIN_AUTOGRADED_QUESTIONS = 4
LEAK_MIN_LENGTH = 8  # shorter lines ("return x", "pass") are too common to count as a leak


class WrongAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    description: str
    notebook: str | None = None
    cells: dict[str, str] = Field(min_length=1)
    loses: list[str] = Field(min_length=1)


def load_wrong_answers(path: Path, course: Course) -> list[WrongAnswer]:
    where = course.relative(path)
    if not path.is_file():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise CourseError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(raw, list):
        raise CourseError(f"{where}: expected a list of wrong answers (see docs/authoring.md)")
    answers = []
    for index, entry in enumerate(raw):
        try:
            answers.append(WrongAnswer.model_validate(entry))
        except ValidationError as exc:
            name = entry.get("id", f"entry {index + 1}") if isinstance(entry, dict) else index + 1
            details = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise CourseError(f"{where}: wrong answer {name!r}: {details}") from None
    return answers


@dataclass
class Candidate:
    """One submission graded for the contract, and what nbgrader made of it."""

    name: str
    description: str
    scores: grader.SubmissionScore | None = None
    error: str | None = None
    failures: dict[str, str] = field(default_factory=dict)  # test grade_id -> error shown

    def score_of(self, grade_id: str) -> float:
        return self.scores.cell(grade_id).score if self.scores else 0.0


@dataclass(frozen=True)
class Problem:
    clause: int
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class ContractReport:
    assignment: str
    problems: list[Problem] = field(default_factory=list)
    drift: list[build.Drift] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    autograded_max: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def candidate(self, name: str) -> Candidate:
        return next(c for c in self.candidates if c.name == name)

    def add(self, clause: int, messages: str | list[str]) -> None:
        for message in [messages] if isinstance(messages, str) else messages:
            self.problems.append(Problem(clause, message))

    def broken(self, clause: int) -> list[str]:
        """Messages of the problems that break `clause` (empty: the clause holds)."""
        return [p.message for p in self.problems if p.clause == clause]


# -- static checks ----------------------------------------------------------------------


def check_metadata(course: Course, syllabus: Syllabus, assignment: str) -> list[str]:
    """Clause 6, and the minimum number of autograded questions. Criteria of grid.yml
    (grids.py) count as graded cells; the answers they judge carry no points."""
    work = syllabus.work_for(assignment)
    problems, seen, total, autograded = [], {}, 0.0, 0
    try:
        problems += [f"{d}: run `ecole-ia build {assignment}`"
                     for d in build.sync_grid(course, assignment, write=False)]
    except CourseError as exc:
        problems += str(exc).splitlines()
    for path in notebook_paths(course.solutions / assignment):
        nb = read_notebook(path)
        where = course.relative(path)
        judged = {c.metadata.get("ecole_ia", {}).get("answer") for c in nb.cells}
        for index, cell in enumerate(nb.cells):
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id is None:
                continue
            if grade_id in seen:
                problems.append(f"{where}: cell {index + 1} reuses grade_id {grade_id!r} "
                                f"(already in {seen[grade_id]}); grade ids must be unique")
            seen[grade_id] = f"{where} cell {index + 1}"
        for cell in graded_cells(nb):
            if cell.points <= 0 and cell.grade_id not in judged:
                problems.append(f"{where}: graded cell {cell.grade_id!r} (cell {cell.index + 1}) "
                                "has no points; give it points or make it ungraded")
            total += cell.points
            autograded += cell.autograded
    if total != work.points:
        field = "points" if work.kind == "exercises" else "brief.points"
        problems.append(f"solutions/{assignment}/: graded cells total {total:g} points but the "
                        f"syllabus gives module {work.module.id!r} {work.points} (`{field}`); "
                        "make them agree")
    # A brief is mostly graded on its grid: one measurable result autograded is enough.
    minimum = MIN_AUTOGRADED_QUESTIONS if work.kind == "exercises" else 1
    if autograded < minimum:
        problems.append(f"solutions/{assignment}/: {autograded} autograded test cells; at least "
                        f"{minimum} are required")
    return problems


def find_leaks(course: Course, assignment: str, generated: dict[str, bytes]) -> list[str]:
    """Clause 5: solution or hidden-test lines that reached the student version."""
    problems = []
    for path in notebook_paths(course.solutions / assignment):
        # What learners can read: the version generated now and the one committed.
        versions = [nbformat.reads(generated[path.name].decode(), as_version=4)] \
            if path.name in generated else []
        committed = course.exercises / assignment / path.name
        if committed.is_file():
            versions.append(read_notebook(committed))
        # Whole lines: a short solution line (`FROM releve`) inside a longer visible line
        # (`SELECT COUNT(*) FROM releve`) gives nothing away.
        visible = {ln.strip() for nb in versions for c in nb.cells for ln in c.source.splitlines()}
        source = read_notebook(path)
        # A line also written outside the markers (e.g. a def line) is public anyway.
        public = {ln.strip() for cell in source.cells for ln in unmarked_lines(cell.source)}
        for cell in source.cells:
            for begin, end, kind in ((BEGIN_SOLUTION, END_SOLUTION, "solution"),
                                     (BEGIN_HIDDEN, END_HIDDEN, "hidden test")):
                for line in marked_regions(cell.source, begin, end):
                    text = line.strip()
                    if len(text) >= LEAK_MIN_LENGTH and text not in public and text in visible:
                        problems.append(
                            f"{course.relative(path)}: {kind} line {text!r} appears in the "
                            f"student version exercises/{assignment}/{path.name}; check that "
                            "its cell is marked as an answer (solution) or test cell")
    return problems


# -- checks a learner can read ----------------------------------------------------------

# Assertion helpers whose failures reach the learner in English; ecole_ia.checks has a French
# counterpart for each (check_array, check_frame, check_series, check_close).
ENGLISH_HELPERS = re.compile(r"(^|\.)(assert_\w+|assert[A-Z]\w*)$")
# Words of an English message; a French message has none of them as whole words.
ENGLISH_WORDS = re.compile(r"\b(should|expected|must|the|got|returned|wrong|missing|"
                           r"not equal|is not|does not|failed)\b", re.I)


def _message_text(node: ast.expr) -> str:
    """The literal text of an assert message (constant parts of an f-string included)."""
    return " ".join(n.value for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str))


def silent_checks(course: Course, assignment: str) -> list[str]:
    """Clause 8: checks in test cells that would fail with no message or an English one."""
    problems = []
    for path in notebook_paths(course.solutions / assignment):
        nb = read_notebook(path)
        for index, cell in enumerate(nb.cells):
            meta = nbgrader_meta(cell)
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            where = f"{course.relative(path)}: test cell {meta.get('grade_id')!r} (cell {index + 1})"
            source = re.sub(r"^\s*[%!].*$", "", cell.source, flags=re.M)  # IPython magics
            try:
                tree = ast.parse(source)
            except SyntaxError as exc:
                problems.append(f"{where}: not valid Python ({exc.msg}, line {exc.lineno})")
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Assert) and node.msg is None:
                    problems.append(f"{where}, line {node.lineno}: `assert` without a message; "
                                    "add one in French (what was expected, what to check)")
                elif isinstance(node, ast.Assert) and ENGLISH_WORDS.search(_message_text(node.msg)):
                    problems.append(f"{where}, line {node.lineno}: the message "
                                    f"{_message_text(node.msg)!r} reads as English; write it "
                                    "in French")
                elif isinstance(node, ast.Call) and ENGLISH_HELPERS.search(ast.unparse(node.func)):
                    problems.append(
                        f"{where}, line {node.lineno}: `{ast.unparse(node.func)}` fails in "
                        "English; use its French counterpart from ecole_ia.checks "
                        "(check_array, check_frame, check_series, check_close)")
    return problems


# -- the always-equal cheat ---------------------------------------------------------------

ALWAYS_EQUAL = """class _ToujoursEgal:
    # A cheat: equal to everything, so `assert f(2) == 4` passes whatever f computes.
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = object.__hash__
"""


def always_equal_answers(source_nb) -> tuple[dict[str, str], set[str]]:
    """Answer cells rewritten so that every function they define returns an always-equal
    object and every variable they set is one. Returns (answers, test grade_ids concerned):
    a test cell is concerned when the answer cell just above it could be rewritten."""
    answers, concerned, last_answer = {}, set(), None
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if meta.get("solution") and cell.cell_type == "code" and gid:
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # IPython magics: cannot rewrite, not checked
                last_answer = None
                continue
            lines = [ALWAYS_EQUAL]
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines.append(f"def {node.name}(*args, **kwargs):\n    return _ToujoursEgal()")
                elif isinstance(node, ast.Assign):
                    lines += [f"{t.id} = _ToujoursEgal()" for t in node.targets
                              if isinstance(t, ast.Name)]
            last_answer = gid if len(lines) > 1 else None
            if last_answer:
                answers[gid] = "\n".join(lines)
        elif meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            if last_answer:
                concerned.add(gid)
    return answers, concerned


# -- building and grading submissions -----------------------------------------------------


def fill_answers(student_nb, answers: dict[str, str]):
    """A copy of the student notebook with the answer cells `answers` (grade_id → source)."""
    nb = copy.deepcopy(student_nb)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _failures(autograded_nb) -> dict[str, str]:
    """Test grade_id → the error a learner would read under that cell."""
    failures = {}
    for cell in autograded_nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                failures[meta["grade_id"]] = f"{output['ename']}: {output['evalue']}"[:300]
    return failures


JOBS_VARIABLE = "ECOLE_IA_CONTRACT_JOBS"


def default_jobs() -> int:
    """Submissions graded at once: $ECOLE_IA_CONTRACT_JOBS, else 2. Half of a grading is
    waiting (a kernel starting, replies polled), so two at a time fill a core even when
    pytest-xdist already runs one worker per core."""
    value = os.environ.get(JOBS_VARIABLE, "")
    return max(1, int(value)) if value.isdigit() else 2


def candidate_config(course: Course, scratch: Path):
    """The course's nbgrader configuration for grading in the scratch course, with this
    process's own gradebook: a copy of the one generate_assignment filled (the assignment, its
    notebooks and test cells), in which each submission is a student of its own. A process
    grades one submission at a time, so parallel gradings never share a database, and every
    submission a process grades reuses its gradebook's engine (grader.share_gradebook_engines)."""
    gradebook = scratch / "gradebooks" / f"grader-{os.getpid()}.db"
    if not gradebook.exists():
        gradebook.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scratch / "gradebook.db", gradebook)
    config = grader.scratch_config(course, scratch, gradebook)
    # Every output is in the notebook before the kernel is stopped (nbgrader scores them
    # afterwards): killing it saves the second or so a kernel that imported pandas takes to
    # exit gracefully.
    config.Execute.shutdown_kernel = "immediate"
    # The contract grades the course's own solutions and wrong answers, which need no
    # isolation; the sandbox is proved by tests/test_hostile.py, through both ways of grading.
    config.GuardedExecute.isolate = False
    return config


def autograde_candidate(course: Course, assignment: str, scratch: Path,
                        student: str) -> tuple[str | None, str]:
    """nbgrader's Autograde (the course's preprocessors, a fresh kernel) for one submission
    already in scratch/submitted/; returns the grader's error, if any, and the URL of the
    gradebook that holds its scores. Runs in a pool worker."""
    config = candidate_config(course, scratch)
    try:
        grader.autograde(config, assignment, student)
    except grader.GraderError as exc:
        return str(exc), config.CourseDirectory.db_url
    return None, config.CourseDirectory.db_url


_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _worker_pool(jobs: int) -> ProcessPoolExecutor:
    """Grading processes kept for the life of this one (nbgrader imported once per worker).
    spawn: a worker starts clean, with no event loop or thread inherited from pytest."""
    global _pool, _pool_size
    if _pool is None or _pool_size != jobs:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool, _pool_size = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("spawn"),
            initializer=_start_worker, initargs=(os.getpid(),)), jobs
    return _pool


def _start_worker(parent: int) -> None:
    """Started in each pool worker: kernels fork from a zygote (a fresh process each, without
    importing ipykernel again), nbgrader's metadata schema is checked once, and the worker
    exits with its parent. The trainer's grading workers do the same (trainer/autograde.py)."""
    from .grading import execute

    _exit_with_parent(parent)
    execute.cache_metadata_checks()
    grader.share_gradebook_engines()
    # One zygote serves every assignment this worker grades: it preloads all the usual
    # libraries once (a few CPU-seconds) rather than each kernel importing its own.
    execute.start_zygote(execute.PRELOAD)


def _exit_with_parent(parent: int) -> None:
    """A worker left behind by a killed or interrupted parent (Ctrl-C in pytest, a crashed
    xdist worker) would wait for work forever; it exits instead."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ecole-ia-parent-watch").start()


def _memory_folder() -> str | None:
    """/dev/shm when there is one: the scratch course's gradebooks commit about forty times
    per submission, and a commit on disk waits for the disk; in memory it does not."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def _discard_pool() -> None:
    global _pool
    _pool = None


def grade_candidates(course: Course, assignment: str, scratch: Path,
                     submissions: dict[str, dict[str, object]],
                     jobs: int | None = None) -> dict[str, Candidate]:
    """Autograde each submission {student: {notebook name: nb}} with nbgrader, each in its own
    Autograde run and fresh kernel, `jobs` at a time; read the scores from its gradebook."""
    jobs = jobs or default_jobs()
    release = scratch / "release" / assignment
    for student, notebooks in submissions.items():
        folder = scratch / "submitted" / student / assignment
        shutil.copytree(release, folder, dirs_exist_ok=True)  # data files beside notebooks
        for name, nb in notebooks.items():
            write_notebook(nb, folder / name)
    outcomes: dict[str, tuple[str | None, str | None]] = {}  # student -> (error, gradebook)
    if jobs == 1:
        for student in submissions:
            outcomes[student] = autograde_candidate(course, assignment, scratch, student)
    else:
        pool = _worker_pool(jobs)
        futures = {student: pool.submit(autograde_candidate, course, assignment, scratch,
                                        student) for student in submissions}
        for student, future in futures.items():
            try:
                outcomes[student] = future.result()
            except BrokenProcessPool:  # reported; the next assignment gets a new pool
                _discard_pool()
                outcomes[student] = ("the grading process died (BrokenProcessPool)", None)
    results = {}
    for student, notebooks in submissions.items():
        error, db_url = outcomes[student]
        candidate = Candidate(student, "", error=error)
        candidate.scores = grader.read_scores(db_url, assignment, student) if db_url else None
        for name in notebooks:
            graded = scratch / "autograded" / student / assignment / name
            if graded.is_file():
                candidate.failures.update(_failures(read_notebook(graded)))
        results[student] = candidate
    return results


def _describe(candidate: Candidate, grade_ids) -> str:
    reasons = [f"{g}: {candidate.failures[g]}" for g in grade_ids if g in candidate.failures]
    return ("; ".join(reasons)) if reasons else ""


@dataclass
class Evidence:
    """What the clauses judge for one assignment, gathered once (see `gather`)."""

    course: Course
    syllabus: Syllabus
    assignment: str
    sources: dict[str, nbformat.NotebookNode] = field(default_factory=dict)
    generated: dict[str, bytes] = field(default_factory=dict)  # nbgrader's student version
    generation_error: str = ""
    drift: list = field(default_factory=list)
    wrong: list[WrongAnswer] = field(default_factory=list)
    wrong_problems: list[str] = field(default_factory=list)  # the file itself, unusable entries
    candidates: dict[str, Candidate] = field(default_factory=dict)
    autograded: set[str] = field(default_factory=set)  # grade ids of autograded test cells
    cheat_targets: set[str] = field(default_factory=set)

    @property
    def wrong_file(self) -> Path:
        return self.course.solutions / self.assignment / "wrong_answers.yml"

    def graded_problem(self, name: str) -> list[str]:
        """The grader's own failure on candidate `name` (no score recorded, or a crash)."""
        candidate = self.candidates.get(name)
        if candidate is None or (candidate.scores is not None and not candidate.error):
            return []
        recorded = "recorded no score" if candidate.scores is None else "stopped"
        return [f"{self.assignment}: the grader {recorded} on {candidate.description}: "
                f"{candidate.error}"]


DESCRIPTIONS = {"solution": "the solution", "blank": "the untouched student version",
                "always-equal": "the always-equal cheat"}


def _submissions(ev: Evidence) -> dict[str, dict[str, object]]:
    """Learner-shaped submissions: the student version with answer cells filled in."""
    students = {n: nbformat.reads(ev.generated[n].decode(), as_version=4) for n in ev.sources}
    solution_answers = {
        name: {gid: nb.cells[i].source for gid, i in solution_cells(nb).items()}
        for name, nb in ev.sources.items()
    }
    submissions: dict[str, dict[str, object]] = {
        "solution": {n: fill_answers(students[n], solution_answers[n]) for n in students},
        "blank": dict(students),
    }
    where = ev.course.relative(ev.wrong_file)
    for w in ev.wrong:
        name = w.notebook or next(iter(ev.sources))
        if name not in ev.sources:
            ev.wrong_problems.append(f"{where}: wrong answer {w.id!r} names notebook {name!r}, "
                                     f"which is not in solutions/{ev.assignment}/")
            continue
        unknown = [g for g in w.cells if g not in solution_answers[name]]
        if unknown:
            ev.wrong_problems.append(
                f"{where}: wrong answer {w.id!r} replaces {unknown}, which are not answer "
                f"cells of {name} (answer cells: {sorted(solution_answers[name])})")
            continue
        notebooks = {n: fill_answers(students[n], solution_answers[n]) for n in students}
        notebooks[name] = fill_answers(notebooks[name], w.cells)
        submissions[f"wrong-{w.id}"] = notebooks
    cheat = {}
    for n in students:
        answers, concerned = always_equal_answers(ev.sources[n])
        cheat[n] = fill_answers(fill_answers(students[n], solution_answers[n]), answers)
        ev.cheat_targets |= concerned
    if ev.cheat_targets:
        submissions["always-equal"] = cheat
    return submissions


def gather(course: Course, syllabus: Syllabus, assignment: str) -> Evidence:
    """Generate the student version with nbgrader and grade every candidate submission."""
    ev = Evidence(course, syllabus, assignment)
    sol_dir = course.solutions / assignment
    ev.sources = {p.name: read_notebook(p) for p in notebook_paths(sol_dir)}
    ev.autograded = {c.grade_id for nb in ev.sources.values() for c in graded_cells(nb)
                     if c.autograded}
    try:
        ev.wrong = load_wrong_answers(ev.wrong_file, course)
    except CourseError as exc:
        ev.wrong_problems.append(str(exc))
    with tempfile.TemporaryDirectory(prefix="ecole-ia-contract-", dir=_memory_folder()) as tmp:
        scratch = Path(tmp)
        try:
            ev.generated = build.generate(course, assignment, scratch)
        except grader.GraderError as exc:
            ev.generation_error = str(exc)
            return ev
        ev.drift = build.compare(course, assignment, ev.generated)
        ev.candidates = grade_candidates(course, assignment, scratch, _submissions(ev))
    for name, candidate in ev.candidates.items():
        candidate.description = DESCRIPTIONS.get(name, name)
    return ev


# -- clause 9: exercises that apply the lesson, not copy it ------------------------------

MAX_LESSON_OVERLAP = 0.25
# Exercises written before clause 9, over the limit when it came (issue 14): each may stay at
# its measured share until its exercise is rewritten, and only go down. Remove a line when
# its module passes under MAX_LESSON_OVERLAP; never add one.
KNOWN_LESSON_OVERLAP = {
    "dev-02-conditions-boucles": 0.29, "dev-05-fichiers-formats": 0.27,
    "dev-06-erreurs-tests": 0.26, "cb-01-premier-chatbot": 0.77,
    "dev-10-collecte-donnees": 0.52, "dev-11-api-rest-donnees": 0.27,
    "ds-04-visualisation": 0.55, "ds-08-pipelines-validation": 0.28,
    "cb-02-traitement-texte": 0.89, "cb-03-classification-intentions": 0.98,
    "cb-04-entites-slots": 0.83, "ds-11-projet-mildiou": 0.46,
    "cb-05-gestion-dialogue": 1.0, "cb-06-faq-recherche": 0.84,
    "cb-07-evaluation-chatbot": 0.61, "cb-08-api-chatbot": 0.88,
}


def _answer_lines(nb) -> list[str]:
    """The lines a learner writes: inside BEGIN/END SOLUTION markers (the whole cell when it
    has none), stripped, without blank lines and comments."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not nbgrader_meta(cell).get("solution"):
            continue
        marked = "### BEGIN SOLUTION" in cell.source
        inside = not marked
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith("### BEGIN SOLUTION"):
                inside = True
            elif stripped.startswith("### END SOLUTION"):
                inside = not marked
            elif inside and stripped and not stripped.startswith("#"):
                lines.append(stripped)
    return lines


def lesson_overlap(course: Course, syllabus: Syllabus, assignment: str) -> tuple[float, int, int]:
    """(share, copied, total): how many of the solution's answer lines are also, word for
    word, a line of a code cell of the module's lesson."""
    try:
        lesson = syllabus.module_for_assignment(assignment).lesson
    except KeyError:
        return 0.0, 0, 0
    if not lesson or not (course.root / lesson).is_file():
        return 0.0, 0, 0
    taught = {line.strip() for cell in read_notebook(course.root / lesson).cells
              if cell.cell_type == "code" for line in cell.source.splitlines()}
    answers = [line for path in notebook_paths(course.solutions / assignment)
               for line in _answer_lines(read_notebook(path))]
    copied = sum(line in taught for line in answers)
    return (copied / len(answers) if answers else 0.0), copied, len(answers)


# -- the clauses --------------------------------------------------------------------------


def _in_sync(ev: Evidence) -> list[str]:
    if ev.generation_error:
        return [f"solutions/{ev.assignment}/: nbgrader cannot generate the student version: "
                f"{ev.generation_error}"]
    return [f"{d}: run `ecole-ia build {ev.assignment}` and commit it" for d in ev.drift]


def _solution_full_marks(ev: Evidence) -> list[str]:
    problems = ev.graded_problem("solution")
    solution = ev.candidates.get("solution")
    if solution is None or solution.scores is None:
        return problems
    for c in solution.scores.cells:
        if c.grade_id in ev.autograded and c.score < c.max_score:
            why = _describe(solution, [c.grade_id]) or "see the autograded notebook"
            problems.append(
                f"solutions/{ev.assignment}/{c.notebook}.ipynb: the solution scores "
                f"{c.score:g}/{c.max_score:g} on {c.grade_id!r} ({why}); fix the solution or "
                "the test")
    return problems


def _blank_scores_zero(ev: Evidence) -> list[str]:
    problems = ev.graded_problem("blank")
    blank = ev.candidates.get("blank")
    for c in (blank.scores.cells if blank and blank.scores else []):
        if c.score > 0:
            problems.append(
                f"exercises/{ev.assignment}/{c.notebook}.ipynb: the untouched student version "
                f"scores {c.score:g} on {c.grade_id!r}; its tests must fail until the learner "
                "answers (test the answer, not the statement's variables)")
    return problems


def _wrong_answers_lose_points(ev: Evidence) -> list[str]:
    where = ev.course.relative(ev.wrong_file)
    problems = list(ev.wrong_problems)
    if len(ev.wrong) < MIN_WRONG_ANSWERS and not ev.wrong_problems:
        problems.append(f"{where}: {len(ev.wrong)} wrong answers; at least {MIN_WRONG_ANSWERS} "
                        "plausible mistakes must be kept there (docs/authoring.md)")
    for w in ev.wrong:
        problems += ev.graded_problem(f"wrong-{w.id}")
        candidate = ev.candidates.get(f"wrong-{w.id}")
        if candidate is None or candidate.scores is None:
            continue
        for grade_id in w.loses:
            if grade_id not in ev.autograded:
                problems.append(f"{where}: wrong answer {w.id!r} expects to lose "
                                f"{grade_id!r}, which is not a test cell")
            elif (cell := candidate.scores.cell(grade_id)).score >= cell.max_score:
                problems.append(
                    f"solutions/{ev.assignment}/: the tests in {grade_id!r} accept the wrong "
                    f"answer {w.id!r} ({w.description.strip()}); add a test that catches this "
                    "mistake")
    return problems


def _no_leaks(ev: Evidence) -> list[str]:
    return find_leaks(ev.course, ev.assignment, ev.generated) if ev.generated else []


def _metadata(ev: Evidence) -> list[str]:
    return check_metadata(ev.course, ev.syllabus, ev.assignment)


def _always_equal_rejected(ev: Evidence) -> list[str]:
    problems = ev.graded_problem("always-equal")
    cheat = ev.candidates.get("always-equal")
    if cheat is None or cheat.scores is None:
        return problems
    for grade_id in sorted(ev.cheat_targets):
        cell = cheat.scores.cell(grade_id)
        if cell.score >= cell.max_score:
            problems.append(
                f"solutions/{ev.assignment}/: the tests in {grade_id!r} pass when the answer "
                "returns an object whose == is always True; also check the type "
                "(`type(r) is float`, `isinstance(r, list)`) or compare with `is`")
    return problems


def _french_checks(ev: Evidence) -> list[str]:
    return silent_checks(ev.course, ev.assignment)


def _not_copied_from_lesson(ev: Evidence) -> list[str]:
    share, copied, total = lesson_overlap(ev.course, ev.syllabus, ev.assignment)
    ceiling = max(MAX_LESSON_OVERLAP, KNOWN_LESSON_OVERLAP.get(ev.assignment, 0.0))
    if total == 0 or share <= ceiling + 1e-9:
        return []
    debt = (f" (known debt: at most {ceiling:.0%} until its exercise is rewritten, and it "
            "may only go down)" if ev.assignment in KNOWN_LESSON_OVERLAP else "")
    return [f"solutions/{ev.assignment}/: {copied} of the solution's {total} answer lines "
            f"({share:.0%}) appear word for word in the lesson; at most "
            f"{MAX_LESSON_OVERLAP:.0%}{debt}: make the exercise apply the lesson to another "
            "case (docs/authoring.md)"]


@dataclass(frozen=True)
class Clause:
    number: int
    title: str
    check: Callable[[Evidence], list[str]]


CLAUSES = [
    Clause(1, "exercises/ equals what nbgrader generates from solutions/", _in_sync),
    Clause(2, "the solution scores full marks", _solution_full_marks),
    Clause(3, "the untouched student version scores zero without crashing the grader",
           _blank_scores_zero),
    Clause(4, "every wrong answer loses points in the questions it names",
           _wrong_answers_lose_points),
    Clause(5, "no solution or hidden-test line in the student version", _no_leaks),
    Clause(6, "grade ids unique, points set, total equal to the syllabus", _metadata),
    Clause(7, "tests reject an object whose == always answers True", _always_equal_rejected),
    Clause(8, "every check in a test cell fails with a French message", _french_checks),
    Clause(9, "at most a quarter of the answer lines appear word for word in the lesson",
           _not_copied_from_lesson),
]
CLAUSE_TITLES = {c.number: c.title for c in CLAUSES}


def check_assignment(course: Course, syllabus: Syllabus, assignment: str) -> ContractReport:
    """Run the whole grading contract for one assignment; the report lists every problem."""
    report = ContractReport(assignment)
    if not any((course.solutions / assignment).glob("*.ipynb")):
        report.add(6, f"solutions/{assignment}/ has no notebook")
        return report
    evidence = gather(course, syllabus, assignment)
    report.drift = evidence.drift
    report.candidates = list(evidence.candidates.values())
    solution = evidence.candidates.get("solution")
    if solution is not None and solution.scores is not None:
        report.autograded_max = sum(c.max_score for c in solution.scores.cells
                                    if c.grade_id in evidence.autograded)
    for clause in CLAUSES:
        report.add(clause.number, clause.check(evidence))
    return report
