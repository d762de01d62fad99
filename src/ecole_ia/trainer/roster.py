"""The cohort roster: a CSV as the school exports it, imported into nbgrader's gradebook.

Learner ids are ASCII slugs of the names ("Hélène D'Almeida" → "helene-d-almeida"): readable
in folder names, stable from one import to the next, and safe in a shell. Two learners with
the same name get "-2", "-3" in file order, and the import says so.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook
from slugify import slugify

from ..errors import CourseError

# Column names accepted, French first (the school's exports), English as nbgrader writes them.
COLUMNS = {
    "first_name": ("prenom", "prénom", "first_name", "firstname", "first name"),
    "last_name": ("nom", "last_name", "lastname", "last name", "nom de famille"),
    "email": ("email", "e-mail", "courriel", "mail", "adresse e-mail"),
    "id": ("id", "identifiant", "student_id"),
    # The learning platform's participant number, which it puts in export file names.
    "lms_id": ("lms_id", "lms_user_id", "id plateforme", "identifiant plateforme", "participant"),
}


@dataclass(frozen=True)
class Learner:
    id: str
    first_name: str
    last_name: str
    email: str = ""
    lms_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class RosterImport:
    learners: list[Learner] = field(default_factory=list)
    collisions: list[str] = field(default_factory=list)  # human-readable, one per renamed id


def learner_id(first_name: str, last_name: str) -> str:
    return slugify(f"{first_name} {last_name}") or "apprenant"


def _header_map(header: list[str], source: str) -> dict[str, int]:
    found = {}
    lowered = [h.strip().lower() for h in header]
    for key, names in COLUMNS.items():
        for i, h in enumerate(lowered):
            if h in names:
                found[key] = i
                break
    missing = [k for k in ("first_name", "last_name") if k not in found]
    if missing:
        raise CourseError(f"{source}: the header {header} has no column for "
                          f"{' and '.join(missing)}; expected e.g. 'prenom;nom;email'")
    return found


def parse_roster(text: str, source: str = "roster.csv", existing: list[Learner] = ()) -> RosterImport:
    """Read a roster CSV (`,` or `;`, optional BOM). Learners already in `existing` (same
    e-mail, or same explicit id) keep their id, so re-importing never renames anyone."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise CourseError(f"{source}: the file is empty; expected a header and one row per learner")
    columns = _header_map(rows[0], source)
    by_email = {l.email.lower(): l for l in existing if l.email}
    by_name: dict[tuple[str, str], list[Learner]] = {}
    for l in existing:
        by_name.setdefault((l.first_name.lower(), l.last_name.lower()), []).append(l)
    taken = {l.id for l in existing}
    assigned: set[str] = set()  # ids given in this import (two rows never share one)
    result = RosterImport()
    for line, row in enumerate(rows[1:], start=2):
        cell = lambda key: row[columns[key]].strip() if key in columns and columns[key] < len(row) else ""
        first, last, email, given = cell("first_name"), cell("last_name"), cell("email"), cell("id")
        lms_id = cell("lms_id")
        if not first and not last:
            raise CourseError(f"{source}, line {line}: no first or last name; fix or delete the row")
        known = by_email.get(email.lower()) if email else None
        if known is None:
            # Re-import without e-mails: the same name is the same person; namesakes are
            # taken in file order, so importing the same file twice maps everyone the same.
            same_name = [l for l in by_name.get((first.lower(), last.lower()), [])
                         if l.id not in assigned and not (email and l.email)]
            known = same_name[0] if same_name else None
        if known and known.id not in assigned:
            learner_key = known.id
        else:
            base = slugify(given) if given else learner_id(first, last)
            learner_key, n = base, 1
            while learner_key in taken:
                n += 1
                learner_key = f"{base}-{n}"
            if learner_key != base:
                result.collisions.append(
                    f"line {line}: {first} {last} gets id {learner_key!r} ({base!r} is taken)")
        taken.add(learner_key)
        assigned.add(learner_key)
        result.learners.append(Learner(learner_key, first, last, email, lms_id))
    return result


def load_roster(db_url: str) -> list[Learner]:
    with Gradebook(db_url) as gb:
        return [Learner(s.id, s.first_name or "", s.last_name or "", s.email or "",
                        s.lms_user_id or "") for s in gb.students]


def import_roster(path: Path, db_url: str) -> RosterImport:
    """Import the CSV at `path` into the gradebook (added or updated, never removed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")  # Excel on Windows, French locale
    except OSError as exc:
        raise CourseError(f"{path}: cannot read the roster ({exc.strerror})") from None
    result = parse_roster(text, str(path), existing=load_roster(db_url))
    with Gradebook(db_url) as gb:
        for l in result.learners:
            gb.update_or_create_student(l.id, first_name=l.first_name, last_name=l.last_name,
                                        email=l.email or None, lms_user_id=l.lms_id or None)
    return result
