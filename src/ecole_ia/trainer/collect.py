"""Collect: from a learning platform's export (zip or folder) to nbgrader's submitted/ folder.

Each top-level file or folder of the export is one learner's submission. It is matched to the
roster on its *own* name only (nbgrader's zip_collect matches against the whole path and files
work under bogus ids). Every version ever received is archived under
grading/collected/<assignment>/<learner>/vNNN/ and never overwritten; the latest by
submission time is copied to grading/submitted/<learner>/<assignment>/ for grading.

Symbolic links are never followed: a learner's export could point a link at the course's
solutions or at any file the trainer can read, and the target's contents would then be
graded beside (and readable by) the learner's code. A link, whether it is a file or folder
of an unzipped export or a zip member with a symlink mode, is dropped with a note for the
trainer; its target is never opened.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from slugify import slugify

from ..errors import CourseError
from . import records
from .roster import Learner

IGNORED = {"__MACOSX", ".DS_Store", "Thumbs.db", ".ipynb_checkpoints", "desktop.ini"}


@dataclass
class Collected:
    learner: Learner
    source: str                      # the name it had in the export
    version: int                     # archive version this submission is (or duplicates)
    timestamp: datetime
    late_by: timedelta | None = None
    new: bool = True                 # False: identical to a version already collected
    graded_version: int = 0          # the version now in submitted/ (the latest in time)
    notes: list[str] = field(default_factory=list)  # renamed notebook, extra files…
    rejected: str | None = None      # why nothing gradable was found (French)
    links: list[str] = field(default_factory=list)  # symbolic links dropped, never followed


@dataclass(frozen=True)
class Unmatched:
    """A submission no learner could be matched to; a copy waits in collected/_non-attribues/."""

    source: str
    reason: str


@dataclass
class CollectReport:
    assignment: str
    collected: list[Collected] = field(default_factory=list)
    missing: list[Learner] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)

    @property
    def late(self) -> list[Collected]:
        return [c for c in self.collected if c.late_by]


# -- reading the export -------------------------------------------------------------------


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Zip entry names without the UTF-8 flag were decoded as cp437: undo the mojibake."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _is_zip_symlink(info: zipfile.ZipInfo) -> bool:
    """A member stored with a Unix symlink mode (what `zip --symlinks` and `unzip` honour)."""
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _extract_zip(archive: Path, dest: Path) -> tuple[dict[Path, datetime], list[Path]]:
    """Extract safely (no path escapes the destination, no link is created); return each
    file's time, and where the symbolic links that were dropped would have been."""
    times, links = {}, []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = PurePosixPath(_zip_name(info).replace("\\", "/")).parts
                if info.is_dir() or not parts or parts[0] == "/" or ".." in parts:
                    continue
                target = dest.joinpath(*parts)
                if _is_zip_symlink(info):
                    links.append(target)  # its content is a path: never written, never read
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                times[target] = datetime(*info.date_time)
    except zipfile.BadZipFile:
        raise CourseError(f"{archive}: not a valid zip file; download the export again") from None
    return times, links


def _listdir(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name not in IGNORED)


def _entries(root: Path) -> list[Path]:
    entries = _listdir(root)
    # Some platforms wrap everything in one folder named after the assignment: look inside.
    while (len(entries) == 1 and _is_real_dir(entries[0])
           and not _looks_like_submission(entries[0])):
        entries = _listdir(entries[0])
    return entries


def _is_real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _looks_like_submission(folder: Path) -> bool:
    return any(p.suffix == ".ipynb" and not p.is_symlink() for p in folder.iterdir())


def _walk(entry: Path) -> tuple[list[Path], list[Path]]:
    """The regular files of a submission and the symbolic links found in it. Links (to a
    file or a folder) are listed, never followed, so nothing outside the export is read."""
    if entry.is_symlink():
        return [], [entry]
    if entry.is_file():
        return [entry], []
    files, links = [], []
    for folder, dirs, names in os.walk(entry, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in IGNORED]
        for name in dirs + names:
            path = here / name
            if path.is_symlink():
                links.append(path)
            elif name in names and name not in IGNORED and path.is_file():
                files.append(path)  # sockets, fifos and devices are skipped too
    return sorted(files), sorted(links)


NBGRADER_TIMESTAMP = "timestamp.txt"  # written by `nbgrader submit` beside the notebooks


def _parse_time(text: str) -> datetime | None:
    """nbgrader's submission time ("2026-12-04 17:59:00.123456 UTC"), as naive local time
    like the due date and zip times; None when unreadable."""
    from dateutil import parser, tz

    try:
        parsed = parser.parse(text.strip(), tzinfos=lambda name, offset: tz.gettz(name))
    except (ValueError, OverflowError):
        return None
    return parsed.astimezone().replace(tzinfo=None) if parsed.tzinfo else parsed


def _timestamp(files: list[Path], times: dict[Path, datetime]) -> datetime:
    """When the submission was handed in: nbgrader's timestamp.txt when the export has one
    (the shallowest), else the newest file time (zip entry times, or modification times)."""
    for stamp_file in sorted((f for f in files if f.name == NBGRADER_TIMESTAMP),
                             key=lambda f: len(f.parts)):
        parsed = _parse_time(stamp_file.read_text("utf-8", errors="replace"))
        if parsed:
            return parsed
    return max((times.get(f) or datetime.fromtimestamp(f.stat().st_mtime) for f in files
                if f.name != NBGRADER_TIMESTAMP), default=datetime.now())


def _relative_names(paths: list[Path], base: Path) -> list[str]:
    return [p.name if p == base else p.relative_to(base).as_posix() for p in paths]


# -- matching -----------------------------------------------------------------------------


def _variants(learner: Learner) -> list[str]:
    names = [slugify(f"{learner.first_name} {learner.last_name}"),
             slugify(f"{learner.last_name} {learner.first_name}")]
    local = learner.email.split("@")[0] if learner.email else ""
    if len(local) >= 3:
        names.append(slugify(local))
    return [n for n in names if n]


def match_learner(name: str, roster: list[Learner]) -> tuple[Learner | None, str]:
    """The learner whose name appears in `name` (a file or folder name), or None and why."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    haystack = f"-{slugify(stem)}-"
    best: dict[str, tuple[int, Learner]] = {}
    for learner in roster:
        for variant in _variants(learner):
            if f"-{variant}-" in haystack:
                length = len(variant)
                if learner.id not in best or best[learner.id][0] < length:
                    best[learner.id] = (length, learner)
    if not best:
        return None, "aucun apprenant du fichier d'inscription ne correspond à ce nom"
    ranked = sorted(best.values(), key=lambda x: -x[0])
    tied = [l for n, l in ranked if n == ranked[0][0]]
    if len(tied) > 1:
        # Namesakes: the platform's participant number in the name settles it, if known.
        tokens = set(slugify(stem).split("-"))
        by_number = [l for l in tied if l.lms_id and l.lms_id.lower() in tokens]
        if len(by_number) == 1:
            return by_number[0], ""
        who = ", ".join(l.full_name for l in tied)
        return None, (f"nom ambigu : correspond à plusieurs apprenants ({who}) ; ajoutez la "
                      "colonne lms_id (numéro de participant) au fichier d'inscription")
    return ranked[0][1], ""


# -- archiving ----------------------------------------------------------------------------


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name] + b"\0")
    return h.hexdigest()


def _versions(folder: Path) -> list[tuple[int, dict]]:
    result = []
    for v in sorted(folder.glob("v[0-9][0-9][0-9]")):
        meta = records.read(v / "received.json", "received")
        result.append((int(v.name[1:]), meta))
    return result


def _select_notebooks(files: list[Path], base: Path, expected: list[str]
                      ) -> tuple[dict[str, bytes], list[str], str | None]:
    """Map the submission's files to the names nbgrader expects.
    Returns (files by name, notes, rejection reason)."""
    notes = []
    notebooks = [f for f in files if f.suffix == ".ipynb"]
    chosen: dict[str, Path] = {}
    for name in expected:
        exact = [f for f in notebooks if f.name == name]
        if exact:
            chosen[name] = exact[0]
    left = [f for f in notebooks if f not in chosen.values()]
    missing = [n for n in expected if n not in chosen]
    if len(missing) == 1 and len(left) == 1:
        chosen[missing[0]] = left.pop()
        notes.append(f"notebook renommé « {chosen[missing[0]].name} » → « {missing[0]} »")
        missing = []
    if not chosen:
        found = ", ".join(f.name for f in files[:5]) or "aucun fichier"
        return {}, notes, (f"aucun notebook .ipynb dans l'envoi ({found}) : déposez le "
                           f"fichier {expected[0]}")
    for name in missing:
        notes.append(f"notebook {name} absent")
    result = {name: path.read_bytes() for name, path in chosen.items()}
    for extra in (f for f in files if f not in chosen.values()
                  and f.name != NBGRADER_TIMESTAMP):  # read by _timestamp, rewritten below
        [rel] = _relative_names([extra], base)
        if rel not in result:
            result[rel] = extra.read_bytes()
            notes.append(f"fichier supplémentaire conservé : {rel}")
    return result, notes, None


def collect(export: Path, assignment: str, roster: list[Learner], expected: list[str],
            grading: Path, due: datetime | None = None) -> CollectReport:
    """Collect `export` (zip or folder) for `assignment` into `grading`/ (see module doc)."""
    if not roster:
        raise CourseError("the roster is empty: import it first (`ecole-ia roster import FILE`)")
    if not export.exists():
        raise CourseError(f"{export}: no such file or folder")
    report = CollectReport(assignment)
    with tempfile.TemporaryDirectory(prefix="ecole-ia-collect-") as tmp:
        if export.is_file():
            times, zip_links = _extract_zip(export, Path(tmp))
            root = Path(tmp)
        else:
            times, zip_links, root = {}, [], export
        received: dict[str, list[tuple[Learner, Path]]] = {}
        for entry in _entries(root):
            learner, why = match_learner(entry.name, roster)
            if entry.is_symlink():
                # A whole submission that is a link: nothing of it is read or copied.
                report.unmatched.append(Unmatched(
                    entry.name, "lien symbolique ignoré (jamais suivi) : un envoi doit être un "
                                "fichier ou un dossier, pas un lien"))
            elif learner is None:
                _set_aside(entry, grading / "collected" / assignment / "_non-attribues")
                report.unmatched.append(Unmatched(entry.name, why))
            else:
                received.setdefault(learner.id, []).append((learner, entry))
        for learner_id, entries in received.items():
            for learner, entry in entries:
                files, links = _walk(entry)
                links += [p for p in zip_links if p == entry or entry in p.parents]
                stamp = _timestamp(files, times)
                report.collected.append(
                    _archive(learner, entry, files, links, stamp, assignment, expected,
                             grading, due))
    collected_ids = {c.learner.id for c in report.collected}
    report.missing = [l for l in roster if l.id not in collected_ids]
    return report


def _set_aside(entry: Path, folder: Path) -> None:
    """Keep an unattributed submission for the trainer (never dropped), links left out."""
    aside = folder / entry.name
    if aside.exists():
        return
    if entry.is_dir():
        files, _ = _walk(entry)
        for f in files:
            target = aside / f.relative_to(entry)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target, follow_symlinks=False)
    else:
        aside.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(entry, aside, follow_symlinks=False)


def _archive(learner, entry, files, links, stamp, assignment, expected, grading,
             due) -> Collected:
    contents, notes, rejected = _select_notebooks(files, entry, expected)
    link_names = _relative_names(links, entry)
    notes = [f"lien symbolique ignoré (jamais suivi) : {n}" for n in link_names] + notes
    item = Collected(learner, entry.name, 0, stamp, notes=notes, rejected=rejected,
                     links=link_names)
    if due and stamp > due:
        item.late_by = stamp - due
    archive = grading / "collected" / assignment / learner.id
    digest = _digest(contents or {f.name: f.read_bytes() for f in files})
    versions = _versions(archive)
    same = [v for v, meta in versions if meta["sha256"] == digest]
    if same:
        item.version, item.new = same[0], False
    else:
        item.version = (versions[-1][0] if versions else 0) + 1
        folder = archive / f"v{item.version:03d}"
        folder.mkdir(parents=True)
        for name, data in (contents or {f.name: f.read_bytes() for f in files}).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        records.write(folder / "received.json", "received", {
            "source": entry.name, "timestamp": stamp.isoformat(), "sha256": digest,
            "rejected": rejected, "notes": notes})
        versions.append((item.version, {"timestamp": stamp.isoformat(), "rejected": rejected}))
    # Grade the latest gradable version in time, whatever the order of collection.
    gradable = [(datetime.fromisoformat(m["timestamp"]), v) for v, m in versions
                if not m.get("rejected")]
    if gradable:
        latest_time, latest = max(gradable)
        item.graded_version = latest
        submitted = grading / "submitted" / learner.id / assignment
        if submitted.exists():
            shutil.rmtree(submitted)  # safe: every version is in the archive
        shutil.copytree(archive / f"v{latest:03d}", submitted,
                        ignore=shutil.ignore_patterns("received.json"))
        (submitted / "timestamp.txt").write_text(latest_time.isoformat(sep=" "), "utf-8")
    return item
