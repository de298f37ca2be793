"""Which paths belong to an API adapter and which to the web UI's pages.

Every adapter but the UI has its own prefix; a path under none of them is a page.  The
cross-site guard (``csrf.py``) and the UI's error pages both decide by this list, so a
new adapter is added here once."""

from __future__ import annotations

API_PREFIXES = ("/api/", "/ajax-api/", "/dvc/", "/auth/", "/clearml/", "/get-artifact",
                "/model-versions/get-artifact")
PROBES = ("/health", "/ready", "/version")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path == "/api"
