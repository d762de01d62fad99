"""`ecole-ia demo`: the whole weekly cycle, for real, on a generated cohort of 24 learners.

In a temporary copy of the course: a roster with realistic French names (accents, hyphens,
apostrophes, two namesakes) is imported; the first published assignment is released; the
learners "submit" through an LMS-like zip export (complete, partial, blank and broken work,
a renamed notebook, a late one, one who never submits); then collect → autograde in
parallel → feedback → reports run with nbgrader for real.
"""

from __future__ import annotations

import random
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path


from ..contract import fill_answers, load_wrong_answers
from ..course import Course
from ..notebooks import dumps, notebook_paths, read_notebook, solution_cells
from ..syllabus import load_syllabus

FIRST = ["Hélène", "Karim", "Léa", "Théo", "Inès", "Mathis", "Chloé", "Youssef", "Manon",
         "Lucas", "Aïcha", "Noé", "Maëlle", "Rémi", "Fatoumata", "Jean-Baptiste", "Zoé",
         "Benoît", "Océane", "Samir", "Clémence", "Loïc", "Nadia", "Étienne"]
LAST = ["D'Almeida", "Benali", "Martin", "Lefèvre", "Nguyen", "Dupont-Moreau", "Garcia",
        "El Amrani", "Bernard", "Petit", "Diallo", "Rousseau", "Le Goff", "Faure", "Traoré",
        "Mercier", "Lambert", "Bonnet", "Fournier", "Chevalier", "Girard", "Roux", "Müller",
        "Lacroix"]

# How each of the 24 learners behaves this week (a spread a trainer recognises).
PROFILES = (["complete"] * 9 + ["partial"] * 6 + ["blank"] * 2 + ["renamed", "late",
            "broken-json", "infinite-loop", "two-versions", "absent", "complete"])


@dataclass
class DemoCohort:
    roster_csv: Path
    export_zip: Path
    due: datetime
    profiles: dict[str, str]   # "Prénom Nom" -> profile


def make_cohort(course: Course, assignment: str, folder: Path, seed: int = 2026) -> DemoCohort:
    rng = random.Random(seed)
    lasts = LAST[:]
    rng.shuffle(lasts)
    people = list(zip(FIRST, lasts))
    people[-1] = people[0]  # two namesakes: the roster import must tell them apart
    roster = folder / "promotion.csv"
    lines = ["prenom;nom;email;lms_id"]
    for i, (first, last) in enumerate(people):
        lines.append(f"{first};{last};apprenant{i + 1:02d}@ecole-ia.example;{4100 + i}")
    roster.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")  # as Excel saves

    sources = {p.name: read_notebook(p) for p in notebook_paths(course.solutions / assignment)}
    name, source = next(iter(sources.items()))
    student = read_notebook(course.exercises / assignment / name)
    answers = {gid: source.cells[i].source for gid, i in solution_cells(source).items()}
    wrong = load_wrong_answers(course.solutions / assignment / "wrong_answers.yml", course)
    due = datetime(2026, 11, 27, 18, 0)
    export = folder / "export-plateforme.zip"
    profiles = {}
    with zipfile.ZipFile(export, "w") as zf:
        for i, ((first, last), profile) in enumerate(zip(people, PROFILES)):
            profiles[f"{first} {last}"] = profile
            if profile == "absent":
                continue
            stamp = due - timedelta(hours=rng.randint(2, 72))
            nb = fill_answers(student, answers)
            filename = name
            if profile == "partial":
                for w in rng.sample(wrong, k=rng.randint(1, 2)):
                    nb = fill_answers(nb, w.cells)
            elif profile == "blank":
                nb = student
            elif profile == "renamed":
                filename = f"Copie de {name}"
            elif profile == "late":
                stamp = due + timedelta(hours=5, minutes=12)
            elif profile == "infinite-loop":
                first_answer = next(iter(answers))  # stuck before its function is defined
                nb = fill_answers(nb, {first_answer: "while True:\n    pass\n" + answers[first_answer]})
            folder_name = f"{first} {last}_{4100 + i}_assignsubmission_file_"
            data = dumps(nb).encode()
            if profile == "broken-json":
                data = data[: len(data) // 2]  # a file cut short by a failed upload
            if profile == "two-versions":  # first a blank draft, then the real work later
                info = zipfile.ZipInfo(f"{folder_name}/{filename}",
                                       (stamp - timedelta(days=1)).timetuple()[:6])
                zf.writestr(info, dumps(student).encode())
                folder_name = f"{first} {last}_{4100 + i}_assignsubmission_file_v2"
            info = zipfile.ZipInfo(f"{folder_name}/{filename}", stamp.timetuple()[:6])
            info.flag_bits |= 0x800
            zf.writestr(info, data)
    return DemoCohort(roster, export, due, profiles)


def copy_course(source: Course, dest: Path, assignments: list[str]) -> Course:
    """A working copy with what grading needs (the repository itself is never touched)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(source.nbgrader_config, dest / "nbgrader_config.py")
    (dest / "curriculum").mkdir(parents=True, exist_ok=True)
    shutil.copy(source.syllabus_file, dest / "curriculum" / "syllabus.yml")
    for a in assignments:
        shutil.copytree(source.solutions / a, dest / "solutions" / a)
        shutil.copytree(source.exercises / a, dest / "exercises" / a)
    return Course(dest.resolve())


def first_assignment(course: Course) -> str:
    return load_syllabus(course).published_assignments()[0].assignment
