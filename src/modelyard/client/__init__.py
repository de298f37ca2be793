"""``modelyard.Client(uri)``: one interface over REST or in-process.

- ``http://host:port`` (or https) -> :class:`HttpClient`
- a folder, ``file://...``, ``sqlite:///...``, ``postgresql://...``, ``mysql://...``
  -> :class:`LocalClient`, which runs the domain services in this process.
"""

from __future__ import annotations

from typing import Any

from modelyard.client.base import BaseClient
from modelyard.client.uri_scheme import check_scheme
from modelyard.config import client_uri_from_env

__all__ = ["BaseClient", "Client"]


def Client(uri: str | None = None, **kwargs: Any) -> BaseClient:  # noqa: N802 - a factory
    uri = uri or client_uri_from_env()
    check_scheme(uri)
    if uri.startswith(("http://", "https://")):
        from modelyard.client.http import HttpClient

        return HttpClient(uri, **kwargs)
    from modelyard.client.local import LocalClient

    return LocalClient(uri, **kwargs)
