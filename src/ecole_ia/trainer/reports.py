"""Reports: grades per learner and assignment (CSV), competency levels per learner and for
the cohort (from the syllabus's competency tags), PNG plots and one self-contained HTML page.

Every row carries a status — graded, partly graded, rejected, not submitted — with its
reason: a submission that could not be graded is never a silent zero.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

from ..course import Course  # noqa: E402
from ..syllabus import LEVELS, Syllabus  # noqa: E402
from .autograde import load_results  # noqa: E402
from .roster import Learner  # noqa: E402

PASS_RATIO = 0.5  # a competency is validated at the module's level from half the points
STATUS_FR = {"graded": "corrigé", "partial": "corrigé en partie", "rejected": "refusé",
             "missing": "non rendu"}


def collect_file(course: Course, assignment: str) -> Path:
    return course.grading / "status" / f"{assignment}-collect.json"


def grades_table(course: Course, syllabus: Syllabus, roster: list[Learner],
                 assignments: list[str]) -> pd.DataFrame:
    rows = []
    for assignment in assignments:
        results = load_results(course, assignment)
        path = collect_file(course, assignment)
        collected = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        points = syllabus.module_for_assignment(assignment).points
        for l in roster:
            r = results.get(l.id)
            late = collected.get(l.id, {}).get("late_seconds") or 0
            status = r.status if r else "missing"
            score = r.score if r and status != "rejected" else 0.0
            rows.append({
                # The id and the platform's number tell namesakes apart (two Hélène Nguyen).
                "learner": l.id, "lms_id": l.lms_id, "prenom": l.first_name, "nom": l.last_name,
                "devoir": assignment, "note": score, "sur": float(points),
                "pourcentage": round(100 * score / points, 1),
                "statut": STATUS_FR[status],
                "raison": (r.reason if r else "aucun envoi collecté"),
                "en_retard": bool(late),
                "anomalies": " ; ".join(r.anomalies) if r else "",
            })
    return pd.DataFrame(rows)


def competency_levels(grades: pd.DataFrame, syllabus: Syllabus) -> pd.DataFrame:
    """Learner × competency: the highest level validated (0: not validated yet).
    A late or ungraded deliverable validates nothing (the school's rule)."""
    codes = sorted({c for a in grades["devoir"].unique()
                    for c in syllabus.module_for_assignment(a).competencies},
                   key=lambda c: int(c[1:]))
    table = pd.DataFrame(0, index=sorted(grades["learner"].unique()), columns=codes)
    for row in grades.itertuples():
        ok = row.statut == STATUS_FR["graded"] and not row.en_retard and \
            row.note >= PASS_RATIO * row.sur
        if ok:
            for code, level in syllabus.module_for_assignment(row.devoir).competencies.items():
                table.loc[row.learner, code] = max(table.loc[row.learner, code], level)
    table.index.name = "learner"
    return table


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
        rows = grades[grades["devoir"] == assignment]
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


def write_reports(course: Course, syllabus: Syllabus, roster: list[Learner],
                  assignments: list[str], dest: Path | None = None) -> ReportFiles:
    dest = dest or course.grading / "reports"
    dest.mkdir(parents=True, exist_ok=True)
    grades = grades_table(course, syllabus, roster, assignments)
    levels = competency_levels(grades, syllabus)
    files = ReportFiles(dest / "notes.csv", dest / "competences.csv", dest / "competences.png",
                        dest / "distribution.png", dest / "rapport.html")
    grades.to_csv(files.csv, index=False)
    levels.to_csv(files.competencies_csv)
    files.heatmap_png.write_bytes(heat := heatmap(levels))
    files.distribution_png.write_bytes(dist := distribution(grades))
    cohort = pd.DataFrame({f"niveau {n}" + (f" ({LEVELS[n]})" if n else ""):
                           (levels == n).sum() for n in range(4)})
    env = Environment(loader=PackageLoader("ecole_ia.trainer", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    counts = grades["statut"].value_counts().to_dict()
    files.html.write_text(env.get_template("report.html.j2").render(
        program=syllabus.program, assignments=[syllabus.module_for_assignment(a) for a in assignments],
        grades=grades.to_dict("records"), counts=counts,
        cohort=cohort, competencies={c.code: c.label for c in syllabus.competencies},
        heatmap=base64.b64encode(heat).decode(), distribution=base64.b64encode(dist).decode(),
    ), encoding="utf-8")
    return files
