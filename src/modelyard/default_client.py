"""The process-wide client (``modelyard.set_tracking_uri`` / ``get_client``), built
from the URI set here, else ``MODELYARD_URI``, else an http(s)
``MLFLOW_TRACKING_URI``, else http://127.0.0.1:5000.  Both the
module-level API (``fluent.py``) and runs (``tracking_fluent.py``) use it."""

from __future__ import annotations

import threading

from modelyard.client.base import BaseClient
from modelyard.config import client_uri_from_env

_lock = threading.Lock()
_uri: str | None = None
_client: BaseClient | None = None


def set_tracking_uri(uri: str) -> None:
    global _uri, _client
    with _lock:
        old = _client
        _uri, _client = uri, None
    if old is not None:
        old.close()


def get_tracking_uri() -> str:
    return _uri or client_uri_from_env()


def get_client() -> BaseClient:
    """The process-wide client for the current tracking URI."""
    global _client
    with _lock:
        if _client is None:
            from modelyard.client import Client

            _client = Client(get_tracking_uri())
        return _client
