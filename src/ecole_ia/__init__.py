"""ecole-ia: the Jupyter curriculum of the École IA Microsoft by Simplon, and its tools.

Public API (the CLI is a thin layer over these):
    Course            where a course's folders are
    load_syllabus     validate and load curriculum/syllabus.yml
"""

from .course import Course
from .syllabus import Syllabus, load_syllabus

__all__ = ["Course", "Syllabus", "load_syllabus"]
__version__ = "0.1.0"
