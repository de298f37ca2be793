"""``modelyard.Client(uri)``: one interface over REST or in-process.

- ``http://host:port`` (or https) -> :class:`HttpClient`
- a folder, ``file://...``, ``sqlite:///...``, ``postgresql://...``, ``mysql://...``
  -> :class:`LocalClient`, which runs the domain services in this process.
"""

from __future__ import annotations

from typing import Any

from modelyard.client.base import BaseClient
from modelyard.config import client_uri_from_env

__all__ = ["BaseClient", "Client"]


def Client(uri: str | None = None, **kwargs: Any) -> BaseClient:  # noqa: N802 - a factory
    uri = uri or client_uri_from_env()
    if uri.startswith(("http://", "https://")):
        from modelyard.client.credentials import token_for
        from modelyard.client.http import HttpClient

        kwargs.setdefault("token", token_for(uri))
        return HttpClient(uri, **kwargs)
    if "token" not in kwargs:
        from modelyard.config import client_token_from_env

        kwargs["token"] = client_token_from_env()
    from modelyard.client.local import LocalClient

    return LocalClient(uri, **kwargs)
