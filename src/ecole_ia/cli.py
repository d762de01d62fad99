"""The `ecole-ia` command: argument parsing and printing only; the work is in the library."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import build as build_lib
from .contract import check_assignment
from .course import Course
from .errors import CourseError
from .fmt import unformatted
from .lessons import execute_lesson
from .syllabus import LEVELS, check_files, load_syllabus, month_table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Course tools of ecole-ia (RNCP37827): syllabus, build, checks.")
out = Console()
err = Console(stderr=True)
RootOption = Annotated[Optional[Path], typer.Option(
    "--root", help="Course root (default: the repository around the current folder).")]


def _course(root: Path | None) -> Course:
    return Course.find(root)


def _assignments(course: Course, names: list[str] | None) -> list[str]:
    syllabus = load_syllabus(course)
    published = [m.assignment for m in syllabus.published_assignments()]
    if not names:
        return published
    unknown = [n for n in names if n not in published]
    if unknown:
        raise CourseError(f"unknown or unpublished assignment(s) {unknown}; published "
                          f"assignments in curriculum/syllabus.yml: {', '.join(published)}")
    return names


@app.command()
def syllabus(root: RootOption = None) -> None:
    """Show the month-by-month plan and competency coverage; fail if files disagree."""
    course = _course(root)
    plan = load_syllabus(course)
    table = Table(title=f"{plan.program.title} ({plan.program.rncp}) — {plan.program.months} mois")
    for column in ("Mois", "Phase", "Module", "Parcours", "Compétences", "h", "Statut"):
        table.add_column(column)
    tracks = {t.id: t.title for t in plan.tracks}
    for month, phase, modules in month_table(plan):
        for i, m in enumerate(modules):
            table.add_row(str(month) if i == 0 else "", phase if i == 0 else "", m.title,
                          tracks[m.track], " ".join(f"{c}·{n}" for c, n in m.competencies.items()),
                          str(m.hours), "[green]publié[/]" if m.status == "published" else "prévu")
        table.add_section()
    out.print(table)
    cov = Table(title="Couverture des compétences (niveau visé le plus haut : 1 imiter, "
                      "2 adapter, 3 transposer)")
    for column in ("Code", "Compétence", "Modules", "Niveau max", "Publiés"):
        cov.add_column(column)
    for code, targets in plan.coverage().items():
        top = max((level for _, level in targets), default=0)
        published = sum(m.status == "published" for m, _ in targets)
        cov.add_row(code, plan.competency(code).label, str(len(targets)),
                    f"{top} {LEVELS.get(top, '')}", str(published))
    out.print(cov)
    total_h = sum(m.hours for m in plan.modules)
    out.print(f"{len(plan.modules)} modules, {len(plan.published())} publiés, {total_h} h.")
    problems = check_files(plan, course)
    if problems:
        raise CourseError("the syllabus and the files disagree:\n"
                          + "\n".join(f"- {p}" for p in problems))


@app.command("build")
def build_cmd(
    assignments: Annotated[Optional[list[str]], typer.Argument(
        help="Assignments to build (default: every published one).")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; fail if exercises/ differs from solutions/.")] = False,
    root: RootOption = None,
) -> None:
    """Regenerate the student versions in exercises/ from solutions/ with nbgrader."""
    course = _course(root)
    drifted = []
    for name in _assignments(course, assignments):
        if check:
            problems = build_lib.drift(course, name)
            drifted += problems
            status = "[red]out of date[/]" if problems else "[green]up to date[/]"
        else:
            changes = build_lib.build(course, name)
            status = f"[yellow]{len(changes)} file(s) written[/]" if changes else "[green]up to date[/]"
        out.print(f"exercises/{name}/: {status}")
    if drifted:
        raise CourseError("exercises/ has drifted from solutions/:\n"
                          + "\n".join(f"- {d}" for d in drifted)
                          + "\nRun `ecole-ia build` and commit the result.")


@app.command()
def fmt(
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; fail if a notebook is not normalised.")] = False,
    root: RootOption = None,
) -> None:
    """Normalise every notebook (no outputs in solutions/ and exercises/, stable metadata)."""
    course = _course(root)
    changed = unformatted(course, write=not check)
    for path in changed:
        out.print(f"{'would reformat' if check else 'reformatted'} {course.relative(path)}")
    if check and changed:
        raise CourseError(f"{len(changed)} notebook(s) not normalised: run `ecole-ia fmt`")
    if not changed:
        out.print("All notebooks are normalised.")


@app.command("run-lessons")
def run_lessons(
    modules: Annotated[Optional[list[str]], typer.Argument(
        help="Module ids (default: every published lesson).")] = None,
    root: RootOption = None,
) -> None:
    """Execute lessons in a fresh kernel and store their outputs (what nbval compares)."""
    course = _course(root)
    plan = load_syllabus(course)
    chosen = [m for m in plan.published() if m.lesson and (not modules or m.id in modules)]
    missing = set(modules or []) - {m.id for m in chosen}
    if missing:
        raise CourseError(f"no published lesson for module(s) {sorted(missing)}")
    for m in chosen:
        out.print(f"running {m.lesson} ...")
        execute_lesson(course.root / m.lesson, m.lesson)
    out.print(f"{len(chosen)} lesson(s) executed and saved.")


@app.command()
def contract(
    assignments: Annotated[Optional[list[str]], typer.Argument(
        help="Assignments to check (default: every published one).")] = None,
    root: RootOption = None,
) -> None:
    """Prove the grading contract with nbgrader: full marks, zero, wrong answers lose points."""
    course = _course(root)
    plan = load_syllabus(course)
    failed = []
    for name in _assignments(course, assignments):
        with out.status(f"grading {name} (solution, blank, wrong answers) ..."):
            report = check_assignment(course, plan, name)
        for c in report.candidates:
            score = f"{c.scores.score:g}/{c.scores.max_score:g}" if c.scores else "no score"
            out.print(f"  {name} · {c.name}: {score}")
        if report.ok:
            out.print(f"[green]✓ {name}: the grading contract holds[/]")
        else:
            failed.append(name)
            err.print(f"[red]✗ {name}:[/]")
            for p in report.problems:
                err.print(f"  - [clause {p.clause}] {p}", markup=False)
    if failed:
        raise CourseError(f"grading contract broken for {', '.join(failed)}")


def main() -> None:
    """Console entry point: a CourseError is a message for a person, not a traceback."""
    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        app(standalone_mode=False)
    except CourseError as exc:
        err.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own message
        import click
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
