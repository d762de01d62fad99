"""The trainer's records on disk, one shape for all: `{"record": kind, "version": N, "data": ...}`.

- outcomes (`grading/status/<assignment>.json`): each learner's autograde outcome;
- collect (`grading/status/<assignment>-collect.json`): each learner's collected version,
  time, lateness and notes;
- received (`grading/archive/.../vNNN/received.json`): what one received version was.

Written atomically (a temporary file renamed over the old one: a crash never leaves half a
file); read with their version checked. Files written before versions existed (the data
alone) are still read. A damaged file, or one from a newer ecole-ia, stops the command with
the file's path and what to do: it holds grades and submissions nobody wants to lose, so it
is never overwritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import CourseError

VERSIONS = {"outcomes": 2, "collect": 2, "received": 2}


def read(path: Path, kind: str, default=None):
    """The data of the record `path` of `kind`, or `default` when the file does not exist."""
    if not path.is_file():
        return {} if default is None else default
    try:
        content = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: not a readable {kind} record ({exc}); restore it from a "
                          "backup, or move it away (for outcomes: then grade again with "
                          "`ecole-ia autograde --all`)") from None
    if not isinstance(content, dict):
        raise CourseError(f"{path}: not a {kind} record; move it away and run the command "
                          "that writes it again")
    if "record" not in content:
        return content  # written before records had versions: the data alone
    if content.get("record") != kind or content.get("version") != VERSIONS[kind]:
        raise CourseError(f"{path}: a {content.get('record')!r} record of version "
                          f"{content.get('version')!r}; this ecole-ia reads {kind!r} records "
                          f"of version {VERSIONS[kind]}: update ecole-ia")
    return content.get("data")


def write(path: Path, kind: str, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"record": kind, "version": VERSIONS[kind], "data": data},
                              ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(path)
