"""Where things live in a course repository (the nbgrader course root)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import CourseError


@dataclass(frozen=True)
class Course:
    """The folders of one course repository, resolved from its root."""

    root: Path

    @property
    def syllabus_file(self) -> Path:
        return self.root / "curriculum" / "syllabus.yml"

    @property
    def curriculum(self) -> Path:
        return self.root / "curriculum"

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    @property
    def grading(self) -> Path:
        return self.root / "grading"

    @property
    def nbgrader_config(self) -> Path:
        return self.root / "nbgrader_config.py"

    def relative(self, path: Path) -> str:
        """A path as a maintainer reads it in a message: relative to the course root."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @classmethod
    def find(cls, start: Path | None = None) -> "Course":
        """The course whose root holds `start` (default: the current folder)."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "curriculum" / "syllabus.yml").is_file() and (
                folder / "nbgrader_config.py"
            ).is_file():
                return cls(folder)
        raise CourseError(
            f"No ecole-ia course found in {here} or its parents "
            "(looked for curriculum/syllabus.yml beside nbgrader_config.py). "
            "Run the command from the repository, or pass --root."
        )
