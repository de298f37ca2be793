"""The module-level API (``modelyard.set_tracking_uri``, ``modelyard.start_run``, ...),
in the manner MLflow users know.  The default client is built from the URI set here,
else ``MODELYARD_URI``, else http://127.0.0.1:5000."""

from __future__ import annotations

import threading
from typing import Any

from modelyard.config import client_uri_from_env

_lock = threading.Lock()
_state: dict[str, Any] = {"uri": None, "client": None}


def set_tracking_uri(uri: str) -> None:
    with _lock:
        old = _state["client"]
        _state["uri"], _state["client"] = uri, None
    if old is not None:
        old.close()


def get_tracking_uri() -> str:
    return _state["uri"] or client_uri_from_env()


def get_client() -> Any:
    """The process-wide client for the current tracking URI."""
    with _lock:
        if _state["client"] is None:
            from modelyard.client import Client

            _state["client"] = Client(get_tracking_uri())
        return _state["client"]


# Runs: start_run/active_run/end_run live in tracking_fluent.py.
from modelyard.tracking_fluent import ActiveRun, active_run, end_run, start_run  # noqa: E402

__all__ = ["ActiveRun", "active_run", "end_run", "get_client", "get_tracking_uri",
           "set_tracking_uri", "start_run"]
