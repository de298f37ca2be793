"""The module-level API (``modelyard.set_tracking_uri``, ``modelyard.start_run``, ...),
in the manner MLflow users know.  The default client is built from the URI set here,
else ``MODELYARD_URI``, else an http(s) ``MLFLOW_TRACKING_URI``, else
http://127.0.0.1:5000 (``default_client.py``); runs
live in ``tracking_fluent.py``."""

from __future__ import annotations

from modelyard.default_client import get_client, get_tracking_uri, set_tracking_uri
from modelyard.tracking_fluent import ActiveRun, active_run, end_run, start_run

__all__ = ["ActiveRun", "active_run", "end_run", "get_client", "get_tracking_uri",
           "set_tracking_uri", "start_run"]
