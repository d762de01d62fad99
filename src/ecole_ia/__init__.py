"""ecole-ia: the Jupyter curriculum of the École IA Microsoft by Simplon, and its tools.

Public API (the CLI is a thin layer over these):
    Course            where a course's folders are
    load_syllabus     validate and load curriculum/syllabus.yml
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .course import Course

if TYPE_CHECKING:
    from .syllabus import Syllabus, load_syllabus

__all__ = ["Course", "Syllabus", "load_syllabus"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The syllabus model loads pydantic (about 0.15 s): imported on first use, so that
    # `ecole-ia --help` and the package's light modules stay fast.
    if name in ("Syllabus", "load_syllabus"):
        from . import syllabus
        return getattr(syllabus, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
