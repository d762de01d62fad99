"""nbgrader configuration: the repository root is the nbgrader course.

Trainers can use nbgrader directly (JupyterLab's Formgrader, `nbgrader ...`) with this file;
`ecole-ia` loads the same file and only redirects folders when it works in a temporary copy.
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "ecole-ia"
c.CourseDirectory.source_directory = "solutions"      # instructor version, edited by hand
c.CourseDirectory.release_directory = "exercises"     # student version, generated
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
# The gradebook: SQLite inside the course by default; a PostgreSQL server for a cohort shared
# by several trainers, e.g. ECOLE_IA_DB_URL=postgresql://user:password@host/gradebook
# (`pip install -e .[postgres]` for the driver). Read here, so plain nbgrader uses it too.
c.CourseDirectory.db_url = os.environ.get("ECOLE_IA_DB_URL") or "sqlite:///grading/gradebook.db"
# Authoring files kept beside a solution must never reach learners.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "wrong_answers.yml", "grid.yml",
]

# What a learner sees in place of a solution (French, as every learner-facing text).
c.ClearSolutions.code_stub = {
    "python": "# VOTRE CODE ICI\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"

# A test cell may not run longer than this, so a learner's infinite loop fails one question.
c.Execute.timeout = 60

# The grader reads a kernel's messages with the standard json module, not orjson (installed
# with DVC, and jupyter_client's default when present): a grading worker runs under the
# learner's memory limit, and a flood of output made orjson crash the worker (segmentation
# fault) where json raises MemoryError, which the grader reports as the learner's failure.
c.Session.packer = "json"
c.Session.unpacker = "json"
# ... and the kernel writes them with json too (it runs under the same kind of limit).
c.Execute.extra_arguments = ["--Session.packer=json", "--Session.unpacker=json"]

# Before grading, nbgrader "sanitizes" each submission; ecole-ia first rebuilds it on the
# released notebook (deleted, duplicated, moved or forged cells: grading/repair.py).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "ecole_ia.grading.repair.RebuildOnRelease",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# nbgrader's autograde steps, in its own order, with ecole-ia's two steps in place. Plain
# `nbgrader autograde`, formgrader's "Autograde" button, `ecole-ia autograde` and the grading
# contract all run this one list (`ecole-ia` refuses a configuration without them).
c.Autograde.autograde_preprocessors = [
    # Execute, hardened: kernels in the sandbox with resource limits and a clean environment
    # (GuardedExecute.isolate), output cap, notebook time limit, test helpers put back before
    # each test cell, a kernel crash costing only the questions not reached (grading/execute.py).
    "ecole_ia.grading.execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    # Right after the scores are saved: what a trainer has nothing to decide on is settled
    # (0-point answers judged by a grid, criteria of a blank answer) (grading/hand_grades.py).
    "ecole_ia.grading.hand_grades.SettleHandGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
