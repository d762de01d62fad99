"""nbgrader configuration: the repository root is the nbgrader course.

Trainers can use nbgrader directly (JupyterLab's Formgrader, `nbgrader ...`) with this file;
`ecole-ia` loads the same file and only redirects folders when it works in a temporary copy.
"""

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "ecole-ia"
c.CourseDirectory.source_directory = "solutions"      # instructor version, edited by hand
c.CourseDirectory.release_directory = "exercises"     # student version, generated
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = "sqlite:///grading/gradebook.db"
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
