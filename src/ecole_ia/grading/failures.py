"""Why nbgrader could not grade a submission, from typed facts only.

The facts, in order: the sandbox launcher's refusal (its own reason, which it writes to the
worker's log as "ecole-ia sandbox: ..."; a separate process has no other way to say it), what
the execution step recorded (`execute.incidents`), then the type of the exception nbgrader
caught (`grader.GraderError.cause`). Never the text of nbgrader's log."""

from __future__ import annotations

import json

from . import execute
from .messages import Failure


def classify(cause: BaseException | None, sandbox_reason: str | None = None) -> Failure:
    """The kind of failure for a submission whose grading raised (`cause`)."""
    from nbclient.exceptions import DeadKernelError
    from nbformat.reader import NotJSONError
    from nbgrader.nbgraderformat.common import SchemaTooNewError, SchemaTooOldError
    from nbgrader.preprocessors.execute import UnresponsiveKernelError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        from jsonschema import ValidationError  # nbgrader's and nbformat's schema errors
    except ImportError:  # pragma: no cover (a dependency of nbformat)
        ValidationError = ()  # noqa: N806

    kinds = {kind for kind, _ in execute.incidents}
    if sandbox_reason:
        return Failure.SANDBOX_REFUSED
    if "kernel_start" in kinds:
        return Failure.KERNEL_NOT_STARTED
    if "kernel_died" in kinds or isinstance(cause, (DeadKernelError, UnresponsiveKernelError)):
        return Failure.KERNEL_DIED
    if isinstance(cause, (NotJSONError, json.JSONDecodeError, UnicodeDecodeError)):
        return Failure.NOT_A_NOTEBOOK
    if isinstance(cause, FileNotFoundError):
        return Failure.NOTEBOOK_MISSING
    # The notebook's JSON was checked before nbgrader ran (autograde.preflight): a schema
    # error now is nbgrader's metadata.
    if isinstance(cause, (SchemaTooOldError, SchemaTooNewError, ValidationError)):
        return Failure.BAD_METADATA
    if isinstance(cause, SQLAlchemyError):
        return Failure.GRADEBOOK
    return Failure.UNEXPECTED
