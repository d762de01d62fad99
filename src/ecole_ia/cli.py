"""The `ecole-ia` command: argument parsing and printing only; the work is in the library.

Each command imports what it needs when it runs (nbgrader, nbclient, pydantic, the trainer's
machinery): `ecole-ia --help` stays fast and a learner's `ecole-ia check` never loads the
grader. `benchmarks/cli.py` measures both.
"""

from __future__ import annotations

import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from .course import Course
from .errors import CourseError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Course tools of ecole-ia (RNCP37827): syllabus, build, checks.")
out = Console()
err = Console(stderr=True)
RootOption = Annotated[Optional[Path], typer.Option(
    "--root", help="Course root (default: the repository around the current folder).")]


def _course(root: Path | None) -> Course:
    return Course.find(root)


def _assignments(course: Course, names: list[str] | None) -> list[str]:
    """The named assignments (a planned module's draft may be named explicitly), or by
    default every published one."""
    from .syllabus import load_syllabus
    syllabus = load_syllabus(course)
    if not names:
        return [m.assignment for m in syllabus.published_assignments()]
    known = [w.assignment for m in syllabus.modules for w in m.work()]
    unknown = [n for n in names if n not in known]
    if unknown:
        published = ", ".join(m.assignment for m in syllabus.published_assignments())
        raise CourseError(f"unknown assignment(s) {unknown} in curriculum/syllabus.yml "
                          f"(published: {published})")
    return names


@app.command()
def syllabus(
    wide: Annotated[bool, typer.Option(
        "--wide", help="One full table (phase, track, competencies): for a wide terminal.")] = False,
    root: RootOption = None,
) -> None:
    """Show the month-by-month plan and competency coverage; fail if files disagree."""
    from .syllabus import LEVELS, check_files, load_syllabus
    course = _course(root)
    plan = load_syllabus(course)
    out.print(f"[bold]{plan.program.title} ({plan.program.rncp}) — {plan.program.months} mois[/]",
              highlight=False)
    for renderable in (_plan_wide(plan) if wide else _plan_by_month(plan)):
        out.print(renderable, highlight=False)
    cov = Table(title="Couverture des compétences", caption="niveau visé le plus haut : "
                "1 imiter, 2 adapter, 3 transposer", title_justify="left")
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


def _track_abbreviations(plan) -> dict[str, str]:
    """Short track names for narrow columns: initials of a compound id ("data-science" → DS),
    else its first three letters ("developpement" → DEV); the full id if two would clash."""
    short = {t.id: ("".join(w[0] for w in t.id.split("-")) if "-" in t.id else t.id[:3]).upper()
             for t in plan.tracks}
    clashes = {v for v in short.values() if list(short.values()).count(v) > 1}
    return {k: (k if v in clashes else v) for k, v in short.items()}


def _plan_by_month(plan):
    """The plan for an 80-column terminal: one table per phase, one row per module (month,
    status, track, hours, full title); titles wrap at word boundaries, never cut."""
    from .syllabus import month_table

    short = _track_abbreviations(plan)
    legend = " · ".join(f"{short[t.id]} {t.title}" for t in plan.tracks)
    yield f"{legend} — [green]✔[/] publié, · prévu\n(tableau complet : ecole-ia syllabus --wide)"
    by_phase: dict[str, list] = {}
    for month, phase, modules in month_table(plan):
        by_phase.setdefault(phase, []).append((month, modules))
    for phase, months in by_phase.items():
        table = Table(title=f"{phase} (mois {months[0][0]} à {months[-1][0]})",
                      title_justify="left", title_style="bold", box=None, pad_edge=False,
                      show_edge=False)
        table.add_column("Mois", justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column("Parc.", no_wrap=True)
        table.add_column("h", justify="right", no_wrap=True)
        table.add_column("Module", overflow="fold", ratio=1)
        for month, modules in months:
            for i, m in enumerate(modules):
                table.add_row(str(month) if i == 0 else "",
                              "[green]✔[/]" if m.status == "published" else "·",
                              short[m.track], str(m.hours), m.title)
        yield table


def _plan_wide(plan):
    """The full table: phase, module, track, competencies, hours and status per row."""
    from .syllabus import month_table

    table = Table()
    for column in ("Mois", "Phase", "Module", "Parcours", "Compétences", "h", "Statut"):
        table.add_column(column)
    tracks = {t.id: t.title for t in plan.tracks}
    for month, phase, modules in month_table(plan):
        for i, m in enumerate(modules):
            table.add_row(str(month) if i == 0 else "", phase if i == 0 else "", m.title,
                          tracks[m.track], " ".join(f"{c}·{n}" for c, n in m.competencies.items()),
                          str(m.hours), "[green]publié[/]" if m.status == "published" else "prévu")
        table.add_section()
    yield table


@app.command("build")
def build_cmd(
    assignments: Annotated[Optional[list[str]], typer.Argument(
        help="Assignments to build (default: every published one).")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; fail if exercises/ differs from solutions/.")] = False,
    root: RootOption = None,
) -> None:
    """Regenerate the student versions in exercises/ from solutions/ with nbgrader."""
    from . import build as build_lib
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


@app.command("site")
def site_cmd(
    dest: Annotated[Optional[Path], typer.Option(
        "--dest", help="Where to build (default: build/site/ in the course).")] = None,
    root: RootOption = None,
) -> None:
    """Build the curriculum as a static website ordered by the syllabus; print its index."""
    from . import site as site_lib
    from .syllabus import load_syllabus
    course = _course(root)
    folder = (dest or course.root / "build" / "site").resolve()
    out.print(f"building the site in {folder} (Sphinx + MyST-NB, about half a minute)…")
    index = site_lib.build(course, load_syllabus(course), folder)
    broken = site_lib.broken_links(index.parent)
    if broken:
        raise CourseError("the site has broken links:\n" + "\n".join(f"- {b}" for b in broken))
    out.print(f"[bold green]site:[/] {index}")


@app.command()
def fmt(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Only these notebooks or folders (default: every notebook of the course).")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; fail if a notebook is not normalised.")] = False,
    root: RootOption = None,
) -> None:
    """Normalise every notebook (no outputs in solutions/ and exercises/, stable metadata)."""
    from .fmt import unformatted
    course = _course(root)
    changed = unformatted(course, write=not check, only=paths)
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
    from .lessons import execute_lesson
    from .syllabus import load_syllabus
    course = _course(root)
    plan = load_syllabus(course)
    chosen = [m for m in plan.modules if m.lesson and (
        m.id in modules if modules else m.status == "published")]
    missing = set(modules or []) - {m.id for m in chosen}
    if missing:
        raise CourseError(f"no module with a lesson named {sorted(missing)} in the syllabus")
    for m in chosen:
        out.print(f"running {m.lesson} ...")
        execute_lesson(course.root / m.lesson, m.lesson)
    out.print(f"{len(chosen)} lesson(s) executed and saved.")


@app.command()
def contract(
    assignments: Annotated[Optional[list[str]], typer.Argument(
        help="Assignments to check (default: every published one).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="Print the clauses and stop.")] = False,
    root: RootOption = None,
) -> None:
    """Prove the grading contract with nbgrader: full marks, zero, wrong answers lose points."""
    from .contract import CLAUSES, check_assignment
    from .syllabus import load_syllabus
    if list_:
        for clause in CLAUSES:
            out.print(f"{clause.number}. {clause.title}", markup=False)
        return
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
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's SQLAlchemy use
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code, not raises it
        if isinstance(code, int) and code:
            sys.exit(code)
    except CourseError as exc:
        err.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own message
        if _is_usage_error(exc):
            exc.show()
            sys.exit(exc.exit_code)
        raise


def _is_usage_error(exc: Exception) -> bool:
    """A click usage error ("No such option"), from typer's vendored click (typer ≥ 0.25) or
    from click itself (older typer)."""
    classes = []
    try:
        from typer._click.exceptions import ClickException
        classes.append(ClickException)
    except ImportError:
        pass
    try:
        import click
        classes.append(click.ClickException)
    except ImportError:
        pass
    return isinstance(exc, tuple(classes))


# -- trainer workflow ---------------------------------------------------------------------

roster_app = typer.Typer(help="The cohort roster, kept in nbgrader's gradebook.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")


@roster_app.command("import")
def roster_import(csv_file: Annotated[Path, typer.Argument(help="CSV: prenom;nom;email[;id]")],
                  root: RootOption = None) -> None:
    """Import (add or update) learners from a CSV; ids are derived from names."""
    from .trainer import roster as roster_lib, workflow
    course = _course(root)
    result = roster_lib.import_roster(csv_file, workflow.db_url(course))
    for note in result.collisions:
        out.print(f"[yellow]namesake:[/] {note}")
    out.print(f"{len(result.learners)} learners imported into the gradebook.")


@roster_app.command("show")
def roster_show(root: RootOption = None) -> None:
    """List the learners in the gradebook."""
    from .trainer import workflow
    table = Table("id", "prénom", "nom", "e-mail")
    for l in workflow.roster(_course(root)):
        table.add_row(l.id, l.first_name, l.last_name, l.email)
    out.print(table)


@app.command()
def release(
    assignment: Annotated[str, typer.Argument(help="Assignment to release.")],
    zip_to: Annotated[Optional[Path], typer.Option("--zip", help="Write a zip for the school's platform here.")] = None,
    exchange: Annotated[bool, typer.Option("--exchange", help="Release through nbgrader's exchange (JupyterHub).")] = False,
    root: RootOption = None,
) -> None:
    """Release an assignment: a zip to upload, or nbgrader's exchange on a JupyterHub."""
    from .trainer import release as release_lib
    course = _course(root)
    _assignments(course, [assignment])
    if not zip_to and not exchange:
        raise CourseError("say where to release: --zip FOLDER_OR_FILE, or --exchange")
    if zip_to:
        out.print(f"written {release_lib.release_zip(course, assignment, zip_to)}")
    if exchange:
        release_lib.release_exchange(course, assignment)
        out.print(f"released {assignment} to nbgrader's exchange")


@app.command("collect")
def collect_cmd(
    assignment: Annotated[str, typer.Argument(help="Assignment collected.")],
    export: Annotated[Path, typer.Argument(help="The platform's export: a zip or a folder.")],
    due: Annotated[Optional[datetime], typer.Option("--due", help="Due date, e.g. 2026-12-04T18:00.")] = None,
    root: RootOption = None,
) -> None:
    """Collect submissions from an export, matched to the roster; every version is kept."""
    from .trainer import workflow
    course = _course(root)
    _assignments(course, [assignment])
    report = workflow.collect(course, assignment, export, due)
    _print_collect(report)


def _print_collect(report) -> None:
    table = Table("learner", "from", "version", "late", "notes", title=f"Collected: {report.assignment}")
    for c in sorted(report.collected, key=lambda c: c.learner.id):
        version = f"v{c.version}" + ("" if c.new else " (already collected)")
        if c.graded_version and c.graded_version != c.version:
            version += f", grading v{c.graded_version}"
        notes = "; ".join(c.notes + ([f"REJECTED: {c.rejected}"] if c.rejected else []))
        table.add_row(c.learner.id, c.source, version, str(c.late_by or ""), notes)
    out.print(table)
    for u in report.unmatched:
        out.print(f"[red]unmatched:[/] {u.source!r}: {u.reason}")
    if report.missing:
        out.print("[yellow]no submission from:[/] " + ", ".join(l.full_name for l in report.missing))
    out.print(f"{len({c.learner.id for c in report.collected})} learners submitted, "
              f"{len(report.missing)} did not, {len(report.unmatched)} unmatched, "
              f"{len({c.learner.id for c in report.late})} late.")


@app.command("autograde")
def autograde_cmd(
    assignment: Annotated[str, typer.Argument(help="Assignment to grade.")],
    workers: Annotated[Optional[int], typer.Option("--workers", "-j", help="Parallel graders (default: cores).")] = None,
    timeout: Annotated[int, typer.Option("--timeout", help="Time limit per cell, in seconds.")] = 60,
    memory: Annotated[int, typer.Option("--memory", help="Memory limit per process, in MiB.")] = 4096,
    isolate: Annotated[bool, typer.Option(
        "--isolate/--no-isolate",
        help="Run learners' code in the sandbox (see README, Security model).")] = True,
    all_: Annotated[bool, typer.Option(
        "--all", help="Grade every submission again, even those already graded and unchanged.")] = False,
    root: RootOption = None,
) -> None:
    """Autograde the collected submissions not graded yet (--all: every one) in parallel."""
    from .trainer.autograde import GradingInterrupted
    from .grading.limits import Limits
    course = _course(root)
    _assignments(course, [assignment])
    try:
        results = _grade_with_progress(course, assignment, workers, timeout,
                                       Limits(memory_mb=memory), isolate=isolate,
                                       skip_graded=not all_)
    except GradingInterrupted as stop:
        _print_results(stop.results)
        out.print(f"[bold yellow]interrupted:[/] {len(stop.results)} graded and saved, "
                  f"{len(stop.left)} left; run the same command again to grade the rest")
        raise typer.Exit(130)
    waiting = _waiting_for_trainer(course, [assignment])
    _print_results(results, set(waiting.get(assignment, [])))
    _print_hand_grading(course, waiting)


def _grade_with_progress(course, assignment, workers, timeout, limits=None, isolate=True,
                         skip_graded=False):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from .trainer import autograde as autograde_lib, workflow
    total = len(autograde_lib.submitted_learners(course, assignment))
    if skip_graded:
        total = len(autograde_lib.to_grade(course, assignment,
                                           autograde_lib.submitted_learners(course, assignment)))
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=out) as progress:
        task = progress.add_task(f"grading {assignment}", total=total)
        return workflow.grade(course, assignment, workers, timeout,
                              on_done=lambda r: progress.advance(task), limits=limits,
                              isolate=isolate,
                              on_warning=lambda m: out.print(f"[bold yellow]warning:[/] {m}"),
                              skip_graded=skip_graded)


def _print_results(results, waiting: set[str] = frozenset()) -> None:
    """One line per outcome; `waiting`: learners whose score is provisional (hand grading)."""
    table = Table("learner", "score", "status", "reason")
    colours = {"graded": "green", "partial": "yellow", "rejected": "red", "pending": "yellow"}
    for r in results:
        status = "pending" if r.learner in waiting and r.status != "rejected" else r.status
        table.add_row(r.learner, (f"{r.score:g}/{r.max_score:g}" + " (provisoire)" * (
                          status == "pending")) if r.status != "rejected" else "—",
                      f"[{colours[status]}]{status}[/]",
                      "; ".join(filter(None, [r.reason] + [f"réparé : {a}" for a in r.anomalies])))
    out.print(table)


@app.command("feedback")
def feedback_cmd(assignment: Annotated[str, typer.Argument()], root: RootOption = None) -> None:
    """Write one French HTML feedback page per graded learner (no hidden test source)."""
    from .syllabus import load_syllabus
    from .trainer import workflow
    course = _course(root)
    paths = workflow.feedback(course, load_syllabus(course), assignment)
    out.print(f"{len(paths)} feedback pages under {course.relative(course.grading / 'feedback')}/")
    waiting = _waiting_for_trainer(course, [assignment]).get(assignment, [])
    if waiting:
        out.print(f"[yellow]{len(waiting)} page(s) avec une note provisoire[/] (en attente de la "
                  "correction du formateur) : relancez `ecole-ia feedback` après la correction.")


@app.command("report")
def report_cmd(
    assignments: Annotated[Optional[list[str]], typer.Argument(help="Default: every graded one.")] = None,
    root: RootOption = None,
) -> None:
    """Grades (CSV), competency levels with their proofs (CSV, PNG), one HTML report for the
    cohort, and each learner's readiness for the title (certification.html)."""
    from .syllabus import load_syllabus
    from .trainer import reports, workflow
    course = _course(root)
    syllabus_ = load_syllabus(course)
    chosen = assignments or sorted(p.stem for p in (course.grading / "status").glob("*.json")
                                   if not p.stem.endswith("-collect"))
    if not chosen:
        raise CourseError("nothing graded yet: run `ecole-ia autograde ASSIGNMENT` first")
    files = reports.write_reports(course, syllabus_, workflow.roster(course), chosen)
    out.print(f"report: {files.html}")
    out.print(f"certification readiness (per learner, block and exam): {files.certification_html}")
    _print_hand_grading(course, files.pending, files.to_grade_csv)


def _waiting_for_trainer(course, assignments: list[str]) -> dict[str, list[str]]:
    """assignment -> learners whose submission waits for hand grading (from the gradebook)."""
    from .trainer import hand_grading, workflow
    db_url = workflow.db_url(course)
    found = {}
    for assignment in assignments:
        now = hand_grading.standings(course, db_url, assignment)
        waiting = [l for l, s in now.items() if s.status == hand_grading.PENDING]
        if waiting:
            found[assignment] = waiting
    return found


def _print_hand_grading(course, pending: dict[str, list[str]], listing: Path | None = None) -> None:
    """What still needs a trainer, and how to open formgrader (French: the trainer reads it)."""
    if not pending:
        out.print("Correction à la main : rien n'attend le formateur.")
        return
    total = sum(len(v) for v in pending.values())
    out.print(f"[bold yellow]À corriger par le formateur :[/] {total} envoi(s)"
              + (f" (détail : {course.relative(listing)})" if listing else ""))
    for assignment, learners in pending.items():
        shown = ", ".join(learners[:6]) + (", …" if len(learners) > 6 else "")
        out.print(f"  {assignment} : {len(learners)} — {shown}")
    out.print("Pour noter : `ecole-ia lab --trainer` (JupyterLab à la racine du cours), menu "
              "Nbgrader → Formgrader → Manage Submissions (ou `jupyter server` avec l'extension "
              "formgrader, page /formgrader). Ensuite : `ecole-ia feedback DEVOIR` et "
              "`ecole-ia report`.")


@app.command()
def demo(
    keep: Annotated[Optional[Path], typer.Option("--dir", help="Work in this folder instead of a temporary one.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", "-j")] = None,
    root: RootOption = None,
) -> None:
    """The whole weekly cycle on a generated cohort of 24 learners, for real."""
    import tempfile
    from .syllabus import load_syllabus
    from .trainer import release as release_lib, reports, roster as roster_lib, workflow
    from .trainer.demo import copy_course, first_assignment, make_cohort

    source = _course(root)
    folder = Path(keep or tempfile.mkdtemp(prefix="ecole-ia-demo-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    assignment = first_assignment(source)
    course = copy_course(source, folder / "cours", [assignment])
    syllabus_ = load_syllabus(course)
    out.print(f"[bold]Demo in {folder}[/] — assignment {assignment}")
    cohort = make_cohort(course, assignment, folder)
    imported = roster_lib.import_roster(cohort.roster_csv, workflow.db_url(course))
    for note in imported.collisions:
        out.print(f"[yellow]namesake:[/] {note}")
    out.print(f"1. roster: {len(imported.learners)} learners imported from {cohort.roster_csv.name}")
    release_zip = release_lib.release_zip(course, assignment, folder / "distribution")
    out.print(f"2. released: {release_zip}")
    report = workflow.collect(course, assignment, cohort.export_zip, cohort.due)
    out.print(f"3. collected from {cohort.export_zip.name}:")
    _print_collect(report)
    out.print("4. autograding in parallel (a per-cell limit of 10 s keeps the infinite loop short):")
    results = _grade_with_progress(course, assignment, workers, timeout=10)
    _print_results(results)
    pages = workflow.feedback(course, syllabus_, assignment)
    out.print(f"5. feedback: {len(pages)} pages, e.g. {pages[0]}")
    files = reports.write_reports(course, syllabus_, workflow.roster(course), [assignment])
    out.print(f"6. reports: {files.csv}, {files.competencies_csv}, {files.heatmap_png}, "
              f"{files.evidence_csv}")
    out.print(f"   certification readiness per learner: {files.certification_html}")
    out.print(f"[bold green]Open the report:[/] {files.html}")


# -- learners (messages in French) -------------------------------------------------------


def _learner_error(exc: CourseError) -> typer.Exit:
    """Print a learner's error in French, without a traceback; the caller raises the result."""
    from rich.markup import escape

    err.print(f"[red]erreur :[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(1)


@app.command("fetch")
def fetch_cmd(
    assignment: Annotated[str, typer.Argument(help="Exercise to copy, e.g. dev-01-premiers-pas.")],
    to: Annotated[Optional[Path], typer.Option(
        "--to", help="Your workspace, which receives ASSIGNMENT/ "
                     "(default: $ECOLE_IA_WORKSPACE, else ~/ecole-ia).")] = None,
    root: RootOption = None,
) -> None:
    """For learners: copy an exercise and its data into your own workspace, never over your work."""
    from rich.markup import escape

    from .workspace import fetch

    try:
        try:
            course = _course(root)
        except CourseError:
            raise CourseError("dossier du cours introuvable : lancez ecole-ia fetch depuis votre "
                              "copie du dépôt ecole-ia, ou indiquez-la avec --root.") from None
        fetched = fetch(course, assignment, to)
    except CourseError as exc:
        raise _learner_error(exc) from None
    out.print(f"[green]✔[/] Exercice copié dans [bold]{escape(str(fetched.folder))}[/] :",
              highlight=False)
    for path in fetched.files:
        out.print(f"  {escape(path.relative_to(fetched.folder).as_posix())}", highlight=False)
    out.print("Travaillez dans ce dossier (votre copie : les mises à jour du cours ne la "
              "touchent pas), puis vérifiez votre travail depuis ce dossier :", highlight=False)
    out.print(f"  cd {escape(str(fetched.folder))} && ecole-ia check", highlight=False)


@app.command()
def check(notebook: Annotated[Optional[Path], typer.Argument(
        help="Your exercise notebook (.ipynb); default: the one in the current folder.")] = None,
) -> None:
    """For learners: run your notebook with its visible tests and see, in French, what passes."""
    from rich.markup import escape

    _skip_unused_iri_checker()
    try:
        from .selfcheck import check_notebook, find_notebook
        result = check_notebook(notebook or find_notebook(Path.cwd()))
    except CourseError as exc:  # a learner reads French, and no traceback
        raise _learner_error(exc) from None
    for q in result.questions:
        mark = "[green]✔[/]" if q.passed else "[red]✘[/]"
        out.print(f"{mark} {escape(q.label)}" + ("" if q.passed else f" — {escape(q.message)}"),
                  highlight=False)
    out.print(f"[bold]{result.passed}/{len(result.questions)} questions réussies aux tests visibles.[/] "
              "Des tests cachés vérifieront aussi des cas particuliers à la correction.",
              highlight=False)
    if result.passed < len(result.questions):
        raise typer.Exit(1)


@app.command("lab", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab_cmd(
    ctx: typer.Context,
    folder: Annotated[Optional[Path], typer.Option(
        "--folder", help="Folder to open (learners: default $ECOLE_IA_WORKSPACE, else "
                         "~/ecole-ia; trainers: the course root).")] = None,
    trainer: Annotated[bool, typer.Option(
        "--trainer", help="Trainer mode: nbgrader's instructor tools (create assignment, "
                          "formgrader, course list).")] = False,
    root: RootOption = None,
) -> None:
    """JupyterLab in French, in learner mode (no instructor tools) unless --trainer. Options
    after `--` go to jupyter lab (e.g. `-- --port 9000`)."""
    import os
    import subprocess

    from .lab import find_course, lab_launch

    try:
        launch = lab_launch(find_course(root), trainer=trainer, folder=folder, extra=ctx.args)
    except CourseError as exc:
        raise _learner_error(exc) from None
    if os.name == "posix":  # become jupyter: signals (Ctrl-C, a service's stop) reach it
        os.chdir(launch.cwd)
        os.execve(launch.argv[0], launch.argv, launch.env)
    try:
        code = subprocess.run(launch.argv, env=launch.env, cwd=launch.cwd).returncode
    except KeyboardInterrupt:  # Jupyter stops itself on the same Ctrl-C
        code = 0
    if code:
        raise typer.Exit(code)


def _skip_unused_iri_checker() -> None:
    """nbformat imports jsonschema, which imports the optional `rfc3987_syntax` (installed for
    jupyter-events) to check "iri" string formats; building its grammar costs about 1 s at
    import (`python -X importtime`), half of a learner's check. Notebook validation never
    checks formats, so this short process marks the module absent and jsonschema skips that
    checker. No effect if jsonschema was already imported."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


# -- the local LLM service (chatbot track) ------------------------------------------------

llm_app = typer.Typer(help="The local OpenAI-compatible LLM service of the chatbot track.",
                      no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
def llm_serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8321,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    api_key: Annotated[Optional[str], typer.Option(
        "--api-key", help="The only key accepted (default: any non-empty key).")] = None,
    failures: Annotated[Optional[list[str]], typer.Option(
        "--fail", help="Script an incident for the next POST request, in order: rate_limit, "
                       "server_error, overloaded or timeout (repeat the option).")] = None,
    retry_after: Annotated[int, typer.Option("--retry-after", help="Seconds in Retry-After on a 429.")] = 1,
) -> None:
    """Serve the local LLM on http://HOST:PORT/v1 until Ctrl+C (chat, embeddings, models)."""
    from .services.llm.server import run

    out.print(f"Service LLM local sur [bold]http://{host}:{port}/v1[/] (Ctrl+C pour l'arrêter). "
              f"Pour le client : OPENAI_BASE_URL=http://{host}:{port}/v1", highlight=False)
    run(host, port, api_key=api_key, failures=failures or (), retry_after=retry_after)
