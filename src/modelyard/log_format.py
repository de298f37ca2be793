"""How the server's log writes an exception: one line of where it happened, never a
traceback.

A traceback holds the server's file paths, lines of source, and the exception's
message, which can carry a value of the request, a statement or a secret (a driver's
error quotes what it was sent).  So an exception in a log line (``exc_info``: an
unexpected error of a request, one uvicorn saw escape the app) is written as its type
and its frames, innermost first, each as ``module:function:line`` (a module by its
dotted name, a file outside ``sys.path`` by its base name): enough to find the code,
nothing of the data or the machine::

    ... unhandled KeyError on GET /api/v1/x | KeyError at modelyard.domain.runs:get:41 < ...

:func:`where` builds that line; :class:`SafeFormatter` and :class:`SafeUvicornFormatter`
are the formatters ``modelyard server`` and ``modelyard serve`` give their own loggers
and uvicorn's (:func:`safe_uvicorn_config`).
"""

from __future__ import annotations

import copy
import logging
import os
import sys
import traceback
from types import TracebackType
from typing import Any

from uvicorn.logging import DefaultFormatter

#: Frames written, innermost first.
FRAMES = 12

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | \
    tuple[None, None, None]


def _module(filename: str) -> str:
    """The dotted module name of a source file (by the longest ``sys.path`` entry it
    is under), else its base name."""
    path = os.path.abspath(filename)
    roots = sorted((os.path.abspath(p) for p in sys.path if p), key=len, reverse=True)
    for root in roots:
        if path.startswith(root + os.sep):
            rel = path[len(root) + 1:]
            return rel[:-3].replace(os.sep, ".") if rel.endswith(".py") else rel.replace(os.sep, ".")
    return os.path.basename(filename)


def where(exc: BaseException) -> str:
    """``Type at module:function:line < ...`` of ``exc`` and of what caused it."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 3:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)[-FRAMES:]
        at = " < ".join(f"{_module(f.filename)}:{f.name}:{f.lineno}" for f in reversed(frames))
        parts.append(f"{type(current).__name__} at {at}" if at else type(current).__name__)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    return " | from ".join(parts)


class _OneLine(logging.Formatter):
    """Exceptions as :func:`where` lines, no stack, each record on one line."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # never another formatter's traceback, cached on the record
        return super().format(record).replace("\n", " | ")

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 - logging's name
        return where(ei[1]) if ei[1] is not None else ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return ""


class SafeFormatter(_OneLine):
    """The formatter of modelyard's own loggers (see the module docs)."""


class SafeUvicornFormatter(_OneLine, DefaultFormatter):
    """uvicorn's own formatter, with :class:`SafeFormatter`'s exceptions."""


def safe_uvicorn_config(base: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging set-up (``LOGGING_CONFIG``) with :class:`SafeUvicornFormatter`."""
    config = copy.deepcopy(base)
    if "default" in config.get("formatters", {}):
        config["formatters"]["default"]["()"] = "modelyard.log_format.SafeUvicornFormatter"
    return config
