"""JupyterLab for a learner: French, no news prompt, no instructor tools.

`ecole-ia lab` puts this folder on JUPYTER_CONFIG_PATH (the learner's own ~/.jupyter still
comes first). Its neighbour labconfig/page_config.json hides nbgrader's instructor panels in
the browser; this file turns off their server side. What a learner uses stays: nbgrader's
"Validate" button and the assignment list (useful where the nbgrader exchange is used).
"""

from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)

# Interface in French and no "official Jupyter news" prompt, for every learner without a
# click: JupyterLab's settings overrides (defaults a learner may still change).
c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent.parent / "settings")

# Formgrader (grading, gradebook, manage assignments) and the course list are for trainers.
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
