"""What the user reads when a command fails: one line that says what is wrong (and,
where it helps, what to do), or ``{"error_code", "message"}`` under ``--json``.  Never an
exception class name or a traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass

import click

from modelyard.errors import ModelyardError, Unauthenticated

USAGE = 2
ERROR = 1
INTERRUPTED = 130
_LOGIN_HINT = " (run `modelyard login`, or set MODELYARD_TOKEN)"


class BadUsage(click.UsageError):
    """A value on the command line that has the wrong shape (exit 2, printed as is)."""


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    exit_code: int = ERROR

    def render(self, as_json: bool) -> str:
        if as_json:
            return json.dumps({"error_code": self.code, "message": self.message})
        return f"error: {self.message}"


def _one_line(text: str, limit: int | None = None) -> str:
    """``text`` on one line; cut at ``limit`` (for text that is not ours)."""
    line = " ".join(text.split())
    return line if limit is None or len(line) <= limit else line[:limit - 3] + "..."


def describe(exc: BaseException) -> Failure:
    if isinstance(exc, BadUsage):
        return Failure("USAGE_ERROR", _one_line(exc.format_message()), USAGE)
    if isinstance(exc, click.UsageError):
        message = _one_line(exc.format_message())
        if exc.ctx is not None:
            message += f" (see '{exc.ctx.command_path} --help')"
        return Failure("USAGE_ERROR", message, USAGE)
    if isinstance(exc, click.ClickException):
        return Failure("INVALID_PARAMETER_VALUE", _one_line(exc.format_message()),
                       exc.exit_code or ERROR)
    if isinstance(exc, click.exceptions.Abort):
        return Failure("INTERRUPTED", "aborted", INTERRUPTED)
    if isinstance(exc, Unauthenticated):  # what the CLI's user does about it
        return Failure(exc.code, _one_line(exc.message) + _LOGIN_HINT)
    if isinstance(exc, ModelyardError):
        return Failure(exc.code, _one_line(exc.message))
    if isinstance(exc, OSError):
        what = exc.strerror or _one_line(str(exc), 300) or "input/output error"
        where = f": {exc.filename}" if exc.filename else ""
        return Failure("IO_ERROR", f"{what}{where}")
    detail = _one_line(str(exc), 300)
    return Failure("INTERNAL_ERROR",
                   f"unexpected failure{': ' + detail if detail else ''} "
                   "(MODELYARD_DEBUG=1 shows where)")
