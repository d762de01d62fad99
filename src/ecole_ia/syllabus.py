"""The syllabus: `curriculum/syllabus.yml`, the single source of truth of the course.

`load_syllabus` validates the file's shape and internal consistency (schema, months,
competencies); `check_files` then checks it against the repository (a published module has
all its files, a planned one none, and nothing on disk is left unnamed). Both report every
problem at once, each naming the file, the module and what to do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .course import Course
from .errors import SyllabusError

COMPETENCY_CODE = r"^C([1-9]|1[0-9]|2[01])$"
ALL_COMPETENCIES = [f"C{i}" for i in range(1, 22)]
LEVELS = {1: "imiter", 2: "adapter", 3: "transposer"}
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    # A misspelt key (`objectifs:`) must be an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Program(_Strict):
    title: str
    rncp: str = Field(pattern=r"^RNCP\d+$")
    school: str
    months: int = Field(gt=0)


class Phase(_Strict):
    id: str = Field(pattern=SLUG)
    title: str
    months: int = Field(gt=0)
    description: str = ""


class Track(_Strict):
    id: str = Field(pattern=SLUG)
    title: str
    description: str = ""


class Competency(_Strict):
    code: str = Field(pattern=COMPETENCY_CODE)
    label: str
    block: int = Field(ge=1, le=3)
    exam: str = Field(pattern=r"^E[1-5]$")


class Module(_Strict):
    id: str = Field(pattern=SLUG)
    title: str
    track: str
    month: int = Field(ge=1)
    hours: int = Field(gt=0)
    status: Literal["planned", "published"]
    objectives: list[str] = Field(min_length=1)
    competencies: dict[str, Literal[1, 2, 3]] = Field(min_length=1)
    # Paths are relative to the course root. Left out, they follow the convention below;
    # `null` says the module has no lesson notebook or no graded assignment.
    lesson: str | None = None
    assignment: str | None = None
    points: int | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _conventional_paths(cls, data):
        if isinstance(data, dict) and "id" in data and "track" in data:
            data = dict(data)
            data.setdefault("lesson", f"curriculum/{data['track']}/{data['id']}.ipynb")
            data.setdefault("assignment", data["id"])
        return data

    @model_validator(mode="after")
    def _consistent(self):
        for code in self.competencies:
            if not re.match(COMPETENCY_CODE, code):
                raise ValueError(f"competency code {code!r} is not one of C1 to C21")
        if any(not o.strip() for o in self.objectives):
            raise ValueError("an objective is empty")
        if self.assignment and self.points is None:
            raise ValueError(
                f"assignment {self.assignment!r} has no `points`: give its total points, "
                "or write `assignment: null` if the module is not graded"
            )
        if not self.assignment and self.points is not None:
            raise ValueError("`points` given but the module has no assignment")
        return self


class Syllabus(_Strict):
    program: Program
    phases: list[Phase] = Field(min_length=1)
    tracks: list[Track] = Field(min_length=1)
    competencies: list[Competency]
    modules: list[Module] = Field(min_length=1)

    # -- lookups -----------------------------------------------------------------------
    def module(self, module_id: str) -> Module:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise KeyError(module_id)

    def published(self) -> list[Module]:
        return [m for m in self.modules if m.status == "published"]

    def published_assignments(self) -> list[Module]:
        return [m for m in self.published() if m.assignment]

    def module_for_assignment(self, assignment: str) -> Module:
        for m in self.modules:
            if m.assignment == assignment:
                return m
        known = ", ".join(m.assignment for m in self.published_assignments())
        raise KeyError(f"no module has assignment {assignment!r} (published: {known})")

    def phase_of(self, month: int) -> Phase:
        end = 0
        for phase in self.phases:
            end += phase.months
            if month <= end:
                return phase
        raise ValueError(f"month {month} is after the last phase")

    def competency(self, code: str) -> Competency:
        return next(c for c in self.competencies if c.code == code)

    def coverage(self) -> dict[str, list[tuple[Module, int]]]:
        """For each competency code, the modules that target it with their level."""
        result: dict[str, list[tuple[Module, int]]] = {c: [] for c in ALL_COMPETENCIES}
        for m in self.modules:
            for code, level in m.competencies.items():
                result.setdefault(code, []).append((m, level))
        return result

    # -- whole-plan rules --------------------------------------------------------------
    @model_validator(mode="after")
    def _whole_plan(self):
        problems: list[str] = []
        total = sum(p.months for p in self.phases)
        if total != self.program.months:
            problems.append(
                f"the phases last {total} months but program.months is "
                f"{self.program.months}: make them agree"
            )
        codes = [c.code for c in self.competencies]
        if sorted(codes, key=lambda c: int(c[1:])) != ALL_COMPETENCIES:
            missing = sorted(set(ALL_COMPETENCIES) - set(codes), key=lambda c: int(c[1:]))
            problems.append(f"`competencies` must list C1 to C21 once each (missing: {missing})")
        tracks = {t.id for t in self.tracks}
        seen: set[str] = set()
        assignments: set[str] = set()
        for m in self.modules:
            where = f"module {m.id!r}"
            if m.id in seen:
                problems.append(f"{where}: the id is used twice; module ids must be unique")
            seen.add(m.id)
            if m.assignment:
                if m.assignment in assignments:
                    problems.append(f"{where}: assignment {m.assignment!r} is used twice")
                assignments.add(m.assignment)
            if m.track not in tracks:
                problems.append(
                    f"{where}: track {m.track!r} is unknown (tracks: {', '.join(sorted(tracks))})"
                )
            if m.month > self.program.months:
                problems.append(
                    f"{where}: month {m.month} is after the end of the program "
                    f"(month {self.program.months})"
                )
        months = {m.month for m in self.modules}
        empty = [n for n in range(1, self.program.months + 1) if n not in months]
        if empty:
            problems.append(f"months {empty} have no module: every month must have one")
        targeted = {code for m in self.modules for code in m.competencies}
        untargeted = [c for c in ALL_COMPETENCIES if c not in targeted]
        if untargeted:
            problems.append(f"competencies {untargeted} are targeted by no module")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _describe_location(loc: tuple, raw: dict) -> str:
    """('modules', 3, 'month') -> "module 'dev-01' (modules[3]), field 'month'"."""
    parts: list[str] = []
    if len(loc) >= 2 and loc[0] in ("modules", "phases", "tracks", "competencies"):
        kind, index = loc[0], loc[1]
        try:
            entry = raw[kind][index]
            name = entry.get("id") or entry.get("code")
        except (KeyError, IndexError, TypeError, AttributeError):
            name = None
        label = kind.rstrip("s") if kind != "competencies" else "competency"
        parts.append(f"{label} {name!r} ({kind}[{index}])" if name else f"{kind}[{index}]")
        rest = loc[2:]
    else:
        rest = loc
    fields = [str(x) for x in rest if not str(x).startswith("function-")]
    if fields:
        parts.append("field " + repr(".".join(fields)))
    return ", ".join(parts) or "top level"


def parse_syllabus(text: str, source: str = "curriculum/syllabus.yml") -> Syllabus:
    """Validate syllabus YAML text; raise SyllabusError listing every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SyllabusError([f"{source}: not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise SyllabusError([f"{source}: expected a mapping with program, phases, tracks, "
                             "competencies and modules"])
    try:
        return Syllabus.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["loc"] == () and "; " in msg:  # whole-plan rules: one line each
                problems += [f"{source}: {m}" for m in msg.split("; ")]
            else:
                problems.append(f"{source}: {_describe_location(err['loc'], raw)}: {msg}")
        raise SyllabusError(problems) from None


def load_syllabus(course: Course) -> Syllabus:
    path = course.syllabus_file
    if not path.is_file():
        raise SyllabusError([f"{course.relative(path)}: file not found"])
    return parse_syllabus(path.read_text(encoding="utf-8"), course.relative(path))


def check_files(syllabus: Syllabus, course: Course) -> list[str]:
    """Problems between the syllabus and the files on disk (empty list: all consistent)."""
    from .notebooks import graded_cells, read_notebook  # local: avoids a cycle

    src = course.relative(course.syllabus_file)
    problems: list[str] = []
    lessons = {m.lesson for m in syllabus.modules if m.lesson}
    assignments = {m.assignment for m in syllabus.modules if m.assignment}

    for m in syllabus.modules:
        where = f"{src}: module {m.id!r} ({m.status})"
        lesson = course.root / m.lesson if m.lesson else None
        sol = course.solutions / m.assignment if m.assignment else None
        exe = course.exercises / m.assignment if m.assignment else None
        if m.status == "planned":
            for path in (lesson, sol, exe):
                if path is not None and path.exists():
                    problems.append(
                        f"{where}: {course.relative(path)} exists but the module is planned; "
                        "set `status: published` once the module is ready, or move the file out"
                    )
            continue
        if lesson is not None and not lesson.is_file():
            problems.append(f"{where}: lesson {m.lesson} not found")
        if sol is None:
            continue
        solution_notebooks = sorted(sol.glob("*.ipynb")) if sol.is_dir() else []
        if not solution_notebooks:
            problems.append(f"{where}: no notebook in solutions/{m.assignment}/")
            continue
        for nb_path in solution_notebooks:
            student = exe / nb_path.name
            if not student.is_file():
                problems.append(
                    f"{where}: {course.relative(student)} is missing: run `ecole-ia build "
                    f"{m.assignment}`"
                )
        try:
            points = sum(
                c.points for p in solution_notebooks for c in graded_cells(read_notebook(p))
            )
        except Exception as exc:  # reported, not raised: list every problem at once
            problems.append(f"{where}: {exc}")
            continue
        if points != m.points:
            problems.append(
                f"{where}: the graded cells of solutions/{m.assignment}/ total {points:g} "
                f"points but the syllabus says {m.points}: make them agree"
            )

    # Nothing on disk may escape the syllabus: an unnamed file is a draft nobody tests.
    for path in sorted(course.curriculum.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = course.relative(path)
        if rel not in lessons:
            problems.append(f"{rel}: this lesson is not named in {src}; add a module for it")
    for folder in (course.solutions, course.exercises):
        if not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            if child.is_dir() and not child.name.startswith(".") and child.name not in assignments:
                problems.append(
                    f"{course.relative(child)}/: assignment {child.name!r} is not named in {src}"
                )
    return problems


def month_table(syllabus: Syllabus) -> list[tuple[int, str, list[Module]]]:
    """[(month, phase title, modules)] for months 1..N in order."""
    return [
        (n, syllabus.phase_of(n).title, [m for m in syllabus.modules if m.month == n])
        for n in range(1, syllabus.program.months + 1)
    ]


def load(root: Path | None = None) -> Syllabus:
    """Convenience: the syllabus of the course around `root` (default: current folder)."""
    return load_syllabus(Course.find(root))
