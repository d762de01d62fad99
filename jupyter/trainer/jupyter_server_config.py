"""JupyterLab for a trainer (`ecole-ia lab --trainer`): French, no news prompt, and all of
nbgrader's instructor tools (create assignment, formgrader, course list), as installed."""

from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)

# The same settings overrides as the learner's: French interface, no news prompt.
c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent.parent / "settings")
