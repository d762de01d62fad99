"""The real course under test and what its syllabus publishes (parametrises the tests)."""

from ecole_ia.course import Course
from ecole_ia.syllabus import load_syllabus

from minicourse import ROOT

COURSE = Course(ROOT)
SYLLABUS = load_syllabus(COURSE)
PUBLISHED_ASSIGNMENTS = [m.assignment for m in SYLLABUS.published_assignments()]
PUBLISHED_LESSONS = [m for m in SYLLABUS.published() if m.lesson]
