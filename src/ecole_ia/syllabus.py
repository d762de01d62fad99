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


class Brief(_Strict):
    """A module's brief: a project of one or two weeks with real choices, graded on a grid
    (grid.yml, by the trainer in formgrader) and, where a result is measurable, by tests. It
    is an nbgrader assignment of its own: solutions/<assignment>/ and exercises/<assignment>/,
    `<module id>-brief` unless named."""

    assignment: str | None = Field(default=None, pattern=SLUG)
    title: str = Field(min_length=3)
    points: int = Field(gt=0)
    days: float = Field(gt=0, le=10)   # expected days of work (a school day is 7 hours)


class Hours(_Strict):
    """How a module's hours split (they must add up to `hours`)."""

    lesson: int = Field(ge=0)
    exercises: int = Field(ge=0)
    brief: int = Field(default=0, ge=0)


class Work(BaseModel):
    """One graded assignment of the course: a module's exercises or its brief."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    assignment: str
    kind: Literal["exercises", "brief"]
    points: int
    title: str
    module: "Module"


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
    brief: Brief | None = None
    parts: Hours | None = None

    @model_validator(mode="before")
    @classmethod
    def _conventional_paths(cls, data):
        if isinstance(data, dict) and "id" in data and "track" in data:
            data = dict(data)
            data.setdefault("lesson", f"curriculum/{data['track']}/{data['id']}.ipynb")
            data.setdefault("assignment", data["id"])
            if isinstance(data.get("brief"), dict):
                data["brief"] = {"assignment": f"{data['id']}-brief", **data["brief"]}
        return data

    def work(self) -> list[Work]:
        """The module's graded assignments: its exercises, then its brief."""
        found = []
        if self.assignment:
            found.append(Work(assignment=self.assignment, kind="exercises", points=self.points,
                              title=self.title, module=self))
        if self.brief:
            found.append(Work(assignment=self.brief.assignment, kind="brief",
                              points=self.brief.points, title=self.brief.title, module=self))
        return found

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
        if self.parts is not None:
            total = self.parts.lesson + self.parts.exercises + self.parts.brief
            if total != self.hours:
                raise ValueError(f"`parts` add up to {total} hours but `hours` is {self.hours}")
            if bool(self.parts.brief) != bool(self.brief):
                raise ValueError("`parts.brief` gives hours to a brief the module does not have"
                                 if self.parts.brief else
                                 "the module has a brief: give its hours in `parts.brief`")
        return self


Work.model_rebuild()


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

    def published_assignments(self) -> list[Work]:
        """Every graded assignment of the published modules (exercises and briefs)."""
        return [w for m in self.published() for w in m.work()]

    def work_for(self, assignment: str) -> Work:
        for m in self.modules:
            for w in m.work():
                if w.assignment == assignment:
                    return w
        known = ", ".join(w.assignment for w in self.published_assignments())
        raise KeyError(f"no module has assignment {assignment!r} (published: {known})")

    def module_for_assignment(self, assignment: str) -> Module:
        return self.work_for(assignment).module

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
    assignments = {w.assignment for m in syllabus.modules for w in m.work()}

    for m in syllabus.modules:
        where = f"{src}: module {m.id!r} ({m.status})"
        lesson = course.root / m.lesson if m.lesson else None
        if m.status == "planned":
            folders = [course.root / f / w.assignment for w in m.work()
                       for f in ("solutions", "exercises")]
            for path in [lesson, *folders]:
                if path is not None and path.exists():
                    problems.append(
                        f"{where}: {course.relative(path)} exists but the module is planned; "
                        "set `status: published` once the module is ready, or move the file out"
                    )
            continue
        if lesson is not None and not lesson.is_file():
            problems.append(f"{where}: lesson {m.lesson} not found")
        for w in m.work():
            problems += _work_files(course, where, w, graded_cells, read_notebook)

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


def _work_files(course: Course, where: str, w: Work, graded_cells, read_notebook) -> list[str]:
    """A published assignment's notebooks: solution and student versions, points."""
    sol, exe = course.solutions / w.assignment, course.exercises / w.assignment
    solution_notebooks = sorted(sol.glob("*.ipynb")) if sol.is_dir() else []
    if not solution_notebooks:
        return [f"{where}: no notebook in solutions/{w.assignment}/"]
    problems = [f"{where}: {course.relative(exe / p.name)} is missing: run `ecole-ia build "
                f"{w.assignment}`" for p in solution_notebooks if not (exe / p.name).is_file()]
    try:
        points = sum(c.points for p in solution_notebooks for c in graded_cells(read_notebook(p)))
    except Exception as exc:  # reported, not raised: list every problem at once
        return problems + [f"{where}: {exc}"]
    if points != w.points:
        field = "points" if w.kind == "exercises" else "brief.points"
        problems.append(f"{where}: the graded cells of solutions/{w.assignment}/ total "
                        f"{points:g} points but the syllabus's `{field}` says {w.points}: make "
                        "them agree")
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
