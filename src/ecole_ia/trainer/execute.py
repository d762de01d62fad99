"""nbgrader's Execute step, with the kernel in the sandbox and a cap on what cells print.

nbgrader keeps every output of a cell in memory while it runs and LimitOutput trims only
afterwards, so a cell printing gigabytes would exhaust the grading worker. Here outputs past
`max_output_kb` (per notebook) are dropped as they arrive, and the cell that overflowed
gets an error output, which nbgrader counts as a failure and the learner reads in French.
"""

from __future__ import annotations

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .sandbox import SandboxedKernelManager

OUTPUT_LIMIT_ERROR = "OutputLimitError"


class GuardedExecute(Execute):
    max_output_kb = Integer(
        1024, help="Largest output a notebook may print, all cells together (KiB).").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self._printed, self._overflowed = 0, set()

    def preprocess(self, nb, resources=None, km=None):
        self._printed, self._overflowed = 0, set()
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        self._printed += len(content.get("text", "")) + len(str(content.get("data", "")))
        if self._printed > self.max_output_kb * 1024:
            self._overflowed.add(cell_index)
            return None  # dropped: the worker's memory stays bounded
        return super().output(outs, msg, display_id, cell_index)

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        if kwargs.get("cell_index") in self._overflowed:
            kwargs["cell"].outputs.append(new_output(
                "error", ename=OUTPUT_LIMIT_ERROR, traceback=[],
                evalue=f"la sortie dépasse {self.max_output_kb} Kio : n'affichez pas autant "
                       "de texte (une boucle qui imprime sans fin ?)"))
