"""Reports: grades per learner and assignment (CSV), competency levels per learner and for
the cohort (from the syllabus's competency tags and the grids' criteria) with the work that
proves each, what still needs hand grading, PNG plots, one self-contained HTML page, and
the certification readiness (readiness.py).

Every row carries a status — graded, partly graded, waiting for the trainer, rejected, not
submitted — with its reason: a submission that could not be graded is never a silent zero,
and one a trainer has not finished grading never shows a partial score as its grade.
Scores are read from the gradebook when the report is made (hand_grading.py), so the
points and comments a trainer gave in formgrader are in it.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

from ..course import Course  # noqa: E402
from ..grids import Grid, assignment_grid  # noqa: E402
from ..syllabus import LEVELS, Syllabus  # noqa: E402
from .feedback import question_titles  # noqa: E402
from .hand_grading import PENDING, STATUS_FR, Standing, standings  # noqa: E402
from . import records  # noqa: E402
from .roster import Learner  # noqa: E402

PASS_RATIO = 0.5  # a competency is validated at the module's level from half the points


def collect_file(course: Course, assignment: str) -> Path:
    return course.grading / "status" / f"{assignment}-collect.json"


@dataclass
class Row:
    """One learner × one assignment, as the report sees it."""

    learner: Learner
    assignment: str
    points: float          # the syllabus's points for the assignment
    standing: Standing
    late: bool
    submitted: str = ""    # when it was handed in (ISO), from the collect record


def report_rows(course: Course, syllabus: Syllabus, roster: list[Learner],
                assignments: list[str], db_url: str | None = None) -> list[Row]:
    if db_url is None:
        from ..grading import grader
        db_url = grader.course_config(course).CourseDirectory.db_url
    rows = []
    for assignment in assignments:
        now = standings(course, db_url, assignment, [l.id for l in roster])
        collected = records.read(collect_file(course, assignment), "collect")
        points = float(syllabus.work_for(assignment).points)
        for l in roster:
            entry = collected.get(l.id, {})
            rows.append(Row(l, assignment, points, now[l.id], bool(entry.get("late_seconds")),
                            entry.get("timestamp") or ""))
    return rows


def grades_table(course: Course, syllabus: Syllabus, roster: list[Learner],
                 assignments: list[str], rows: list[Row] | None = None) -> pd.DataFrame:
    """notes.csv: one row per learner and assignment. While a trainer still has to grade,
    `note` is empty and the points so far are in `note_provisoire`."""
    rows = rows if rows is not None else report_rows(course, syllabus, roster, assignments)
    table = []
    for row in rows:
        s, l = row.standing, row.learner
        score = s.score if s.status not in ("rejected", "missing") else 0.0
        table.append({
            # The id and the platform's number tell namesakes apart (two Hélène Nguyen).
            "learner": l.id, "lms_id": l.lms_id, "prenom": l.first_name, "nom": l.last_name,
            "devoir": row.assignment,
            "note": score if s.status != PENDING else None,
            "note_provisoire": score if s.status == PENDING else None,
            "sur": row.points,
            "pourcentage": round(100 * score / row.points, 1)
            if s.status != PENDING and row.points else None,
            "statut": STATUS_FR[s.status],
            "raison": s.reason,
            "a_corriger": " ".join(c.grade_id for c in s.pending),
            "en_retard": row.late,
            "anomalies": " ; ".join(s.result.anomalies) if s.result else "",
        })
    return pd.DataFrame(table)


def pending_table(course: Course, rows: list[Row],
                  grids: dict[str, Grid | None]) -> pd.DataFrame:
    """a_corriger.csv: one line per cell a trainer still has to grade."""
    titles = {a: question_titles(course, a) for a in {r.assignment for r in rows}}
    table = []
    for row in rows:
        grid = grids.get(row.assignment)
        for cell in row.standing.pending:
            criterion = grid.criterion(cell.grade_id) if grid else None
            table.append({
                "devoir": row.assignment, "learner": row.learner.id,
                "lms_id": row.learner.lms_id, "prenom": row.learner.first_name,
                "nom": row.learner.last_name, "notebook": cell.notebook,
                "cellule": cell.grade_id,
                "titre": criterion.title if criterion else
                titles[row.assignment].get(cell.grade_id, ""),
                "competence": criterion.competency if criterion else "",
                "points": cell.max_score,
            })
    columns = ["devoir", "learner", "lms_id", "prenom", "nom", "notebook", "cellule", "titre",
               "competence", "points"]
    return pd.DataFrame(table, columns=columns)


def validated(row: Row, competencies: dict[str, int], grid: Grid | None) -> dict[str, int]:
    """Competency -> level this row validates. Nothing unless the deliverable is graded
    (nothing pending, nothing rejected or partly graded) and on time (the school's rule).
    A competency whose level the trainer records on a criterion (`validates` in the grid)
    gets that level; one the grid's other criteria assess is judged on those criteria alone
    (at least half their points, for the module's level); any other one on the whole
    assignment (at least half the points)."""
    if row.standing.status != "graded" or row.late:
        return {}
    found = {}
    for code, level in competencies.items():
        criteria = [c for c in grid.criteria if c.competency == code] if grid else []
        recorded = [c for c in criteria if c.records_level]
        if recorded:
            reached = min(level, max(c.validated_level(row.standing.score_of(c.id))
                                     for c in recorded))
        elif criteria:
            score = sum(row.standing.score_of(c.id) for c in criteria)
            reached = level if score >= PASS_RATIO * sum(c.points for c in criteria) else 0
        else:
            reached = level if row.standing.score >= PASS_RATIO * row.points else 0
        if reached:
            found[code] = reached
    return found


@dataclass(frozen=True)
class Proof:
    """One piece of evidence: `learner` showed `competency` at `level` in `assignment`."""

    learner: str
    competency: str
    level: int
    assignment: str
    kind: str              # the work's kind in the syllabus: exercises or brief
    submitted: str         # when it was handed in (ISO), "" when unknown


def proofs(rows: list[Row], syllabus: Syllabus, grids: dict[str, Grid | None]) -> list[Proof]:
    """Every competency each graded, on-time submission validates."""
    found = []
    for row in rows:
        work = syllabus.work_for(row.assignment)
        for code, level in validated(row, work.module.competencies,
                                     grids.get(row.assignment)).items():
            found.append(Proof(row.learner.id, code, level, row.assignment, work.kind,
                               row.submitted))
    return found


def _by_competency(codes) -> list[str]:
    return sorted(set(codes), key=lambda c: int(c[1:]))


def competency_levels(rows: list[Row], syllabus: Syllabus,
                      grids: dict[str, Grid | None]) -> pd.DataFrame:
    """Learner × competency: the highest level validated (0: not validated yet)."""
    assignments = sorted({r.assignment for r in rows})
    codes = _by_competency(c for a in assignments
                           for c in syllabus.module_for_assignment(a).competencies)
    table = pd.DataFrame(0, index=sorted({r.learner.id for r in rows}), columns=codes)
    for proof in proofs(rows, syllabus, grids):
        table.loc[proof.learner, proof.competency] = max(
            table.loc[proof.learner, proof.competency], proof.level)
    table.index.name = "learner"
    return table


KIND_FR = {"brief": "brief", "exercises": "exercices"}  # a Work's kind, as trainers read it


def proof_fr(proof: Proof) -> str:
    """« ds-06-…-brief (brief, rendu le 2027-03-02) »: the work and when it was handed in."""
    kind = KIND_FR.get(proof.kind, proof.kind)
    when = f", rendu le {proof.submitted[:10]}" if proof.submitted else ""
    return f"{proof.assignment} ({kind}{when})"


def evidence_table(rows: list[Row], syllabus: Syllabus,
                   grids: dict[str, Grid | None]) -> pd.DataFrame:
    """competences_preuves.csv: per learner and competency validated, the highest level and
    the work that proves it (every assignment that reached that level, oldest first)."""
    best: dict[tuple[str, str], list[Proof]] = {}
    for proof in proofs(rows, syllabus, grids):
        held = best.setdefault((proof.learner, proof.competency), [])
        if not held or proof.level > held[0].level:
            held[:] = [proof]
        elif proof.level == held[0].level:
            held.append(proof)
    learners = {r.learner.id: r.learner for r in rows}
    table = []
    for (learner, code), held in sorted(best.items(), key=lambda kv: (kv[0][0], int(kv[0][1][1:]))):
        held.sort(key=lambda p: (p.submitted or "9999", p.assignment))
        person = learners[learner]
        table.append({"learner": learner, "prenom": person.first_name, "nom": person.last_name,
                      "competence": code, "libelle": syllabus.competency(code).label,
                      "niveau": held[0].level, "preuves": " ; ".join(map(proof_fr, held)),
                      "premiere_date": held[0].submitted[:10]})
    return pd.DataFrame(table, columns=["learner", "prenom", "nom", "competence", "libelle",
                                        "niveau", "preuves", "premiere_date"])


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def heatmap(levels: pd.DataFrame) -> bytes:
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(levels.columns), 1 + 0.28 * len(levels)))
    image = ax.imshow(levels.values, cmap="Greens", vmin=0, vmax=3, aspect="auto")
    ax.set_xticks(range(len(levels.columns)), levels.columns)
    ax.set_yticks(range(len(levels)), levels.index, fontsize=7)
    ax.set_title("Niveau validé par compétence (0 à 3)")
    fig.colorbar(image, ax=ax, ticks=[0, 1, 2, 3], label="niveau")
    return _png(fig)


def distribution(grades: pd.DataFrame) -> bytes:
    assignments = list(grades["devoir"].unique())
    fig, axes = plt.subplots(1, len(assignments), figsize=(5 * len(assignments), 3.2),
                             squeeze=False)
    for ax, assignment in zip(axes[0], assignments):
        rows = grades[grades["devoir"] == assignment].dropna(subset=["pourcentage"])
        ax.hist(rows["pourcentage"], bins=range(0, 101, 10), color="#2a6f97", edgecolor="white")
        ax.set_title(assignment)
        ax.set_xlabel("note (% des points)")
        ax.set_ylabel("apprenants")
    return _png(fig)


@dataclass
class ReportFiles:
    csv: Path
    competencies_csv: Path
    heatmap_png: Path
    distribution_png: Path
    html: Path
    to_grade_csv: Path
    evidence_csv: Path      # per learner and competency: highest level and its proof
    certification_csv: Path  # readiness for the title, per learner, block and exam
    certification_html: Path
    # assignment -> learners whose submission still waits for a trainer (in roster order)
    pending: dict[str, list[str]] = field(default_factory=dict)


def write_reports(course: Course, syllabus: Syllabus, roster: list[Learner],
                  assignments: list[str], dest: Path | None = None,
                  db_url: str | None = None) -> ReportFiles:
    dest = dest or course.grading / "reports"
    dest.mkdir(parents=True, exist_ok=True)
    rows = report_rows(course, syllabus, roster, assignments, db_url)
    grids = {a: assignment_grid(course.solutions, a) for a in assignments}
    grades = grades_table(course, syllabus, roster, assignments, rows)
    levels = competency_levels(rows, syllabus, grids)
    to_grade = pending_table(course, rows, grids)
    from .readiness import readiness_table, write_readiness  # it reads this module's proofs

    readiness = write_readiness(readiness_table(rows, syllabus, grids), syllabus.program, dest)
    files = ReportFiles(dest / "notes.csv", dest / "competences.csv", dest / "competences.png",
                        dest / "distribution.png", dest / "rapport.html", dest / "a_corriger.csv",
                        dest / "competences_preuves.csv", readiness.csv, readiness.html)
    evidence = evidence_table(rows, syllabus, grids)
    evidence.to_csv(files.evidence_csv, index=False)
    for row in rows:
        if row.standing.status == PENDING:
            files.pending.setdefault(row.assignment, []).append(row.learner.id)
    grades.to_csv(files.csv, index=False)
    levels.to_csv(files.competencies_csv)
    to_grade.to_csv(files.to_grade_csv, index=False)
    files.heatmap_png.write_bytes(heat := heatmap(levels))
    files.distribution_png.write_bytes(dist := distribution(grades))
    cohort = pd.DataFrame({f"niveau {n}" + (f" ({LEVELS[n]})" if n else ""):
                           (levels == n).sum() for n in range(4)})
    env = Environment(loader=PackageLoader("ecole_ia.trainer", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    counts = grades["statut"].value_counts().to_dict()
    waiting = {a: [r for r in to_grade.to_dict("records") if r["devoir"] == a]
               for a in assignments}
    files.html.write_text(env.get_template("report.html.j2").render(
        program=syllabus.program, assignments=[syllabus.work_for(a) for a in assignments],
        grades=grades.astype(object).where(grades.notna(), None).to_dict("records"),
        counts=counts, pending_status=STATUS_FR[PENDING],
        waiting={a: w for a, w in waiting.items() if w},
        graded_by_grid=[a for a in assignments if grids[a]],
        cohort=cohort, competencies={c.code: c.label for c in syllabus.competencies},
        evidence=evidence.to_dict("records"),
        heatmap=base64.b64encode(heat).decode(), distribution=base64.b64encode(dist).decode(),
    ), encoding="utf-8")
    return files
