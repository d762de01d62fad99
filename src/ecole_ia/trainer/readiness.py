"""Certification readiness: per learner, for each block and exam of the title (RNCP37827),
the competencies already validated at level 3 and the work that proves it, those still
missing with the level reached so far, and the work that would give the missing evidence.

It reads the same proofs as the competency report (reports.proofs): graded, on-time work,
judged on the grids' criteria where a trainer recorded a level. A trainer prints it before
the mock exams (prj-04, prj-05) to see who needs which brief.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ..grids import Grid
from ..syllabus import Syllabus
from .reports import KIND_FR, Row, proof_fr, proofs

CERTIFYING_LEVEL = 3  # the level the jury expects for every competency of the title


def where_to_prove(syllabus: Syllabus, code: str) -> list[str]:
    """The work that assesses `code` at the certifying level, in syllabus order, briefs
    first; a module not published yet is named with « (prévu) »."""
    briefs, others = [], []
    for module in syllabus.modules:
        if module.competencies.get(code) != CERTIFYING_LEVEL:
            continue
        works = module.work() if module.status == "published" else []
        if not works:
            others.append(f"{module.id} (prévu)")
        for work in works:
            (briefs if work.kind == "brief" else others).append(
                f"{work.assignment} ({KIND_FR.get(work.kind, work.kind)})")
    return briefs + others


@dataclass(frozen=True)
class ReadinessFiles:
    csv: Path
    html: Path


COLUMNS = ["learner", "prenom", "nom", "bloc", "epreuve", "competence", "libelle",
           "niveau_atteint", "valide", "preuves", "pour_valider"]


def readiness_table(rows: list[Row], syllabus: Syllabus,
                    grids: dict[str, Grid | None]) -> pd.DataFrame:
    """certification.csv: one line per learner and competency of the title (C1–C21)."""
    held: dict[tuple[str, str], list] = {}
    for proof in proofs(rows, syllabus, grids):
        held.setdefault((proof.learner, proof.competency), []).append(proof)
    learners = {r.learner.id: r.learner for r in rows}
    table = []
    for learner_id in sorted(learners):
        person = learners[learner_id]
        for competency in syllabus.competencies:
            found = held.get((learner_id, competency.code), [])
            best = max((p.level for p in found), default=0)
            certifying = sorted((p for p in found if p.level >= CERTIFYING_LEVEL),
                                key=lambda p: (p.submitted or "9999", p.assignment))
            table.append({
                "learner": learner_id, "prenom": person.first_name, "nom": person.last_name,
                "bloc": competency.block, "epreuve": competency.exam,
                "competence": competency.code, "libelle": competency.label,
                "niveau_atteint": best, "valide": bool(certifying),
                "preuves": " ; ".join(map(proof_fr, certifying)),
                "pour_valider": "" if certifying else
                " ; ".join(where_to_prove(syllabus, competency.code)),
            })
    return pd.DataFrame(table, columns=COLUMNS)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Learner × exam: how many of the exam's competencies are validated at level 3."""
    counts = table.groupby(["learner", "epreuve"])["valide"].agg(["sum", "count"])
    text = counts["sum"].astype(int).astype(str) + "/" + counts["count"].astype(str)
    return text.unstack("epreuve")


def write_readiness(table: pd.DataFrame, program: str, dest: Path) -> ReadinessFiles:
    files = ReadinessFiles(dest / "certification.csv", dest / "certification.html")
    table.to_csv(files.csv, index=False)
    env = Environment(loader=PackageLoader("ecole_ia.trainer", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    learners = []
    for learner_id, lines in table.groupby("learner", sort=True):
        first = lines.iloc[0]
        blocks = [(block, part.to_dict("records")) for block, part in lines.groupby("bloc")]
        learners.append({"id": learner_id, "name": f"{first.prenom} {first.nom}",
                         "validated": int(lines["valide"].sum()), "total": len(lines),
                         "blocks": blocks})
    files.html.write_text(env.get_template("certification.html.j2").render(
        program=program, learners=learners,
        summary=summary(table).reset_index().to_dict("records") if len(table) else [],
        exams=sorted(table["epreuve"].unique()) if len(table) else [],
        level=CERTIFYING_LEVEL), encoding="utf-8")
    return files
