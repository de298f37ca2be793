"""``modelyard.Client(uri)``: one interface over REST or in-process.

- ``http://host:port`` (or https) -> :class:`HttpClient`
- a folder, ``file://...``, ``sqlite:///...``, ``postgresql://...``, ``mysql://...``
  -> :class:`LocalClient`, which runs the domain services in this process.

``host:port`` without a scheme is refused (see :mod:`modelyard.client.uri`).  With
``create=False`` a local registry that does not exist yet is an error
(``no registry at ./x``) instead of being created.
"""

from __future__ import annotations

from typing import Any

from modelyard.client.base import BaseClient
from modelyard.client.uri_scheme import check_scheme
from modelyard.config import client_uri_from_env

__all__ = ["BaseClient", "Client"]


def Client(uri: str | None = None, *, create: bool = True,  # noqa: N802 - a factory
           **kwargs: Any) -> BaseClient:
    from modelyard.client.uri import check_uri, is_http

    uri = uri or client_uri_from_env()
    check_uri(uri)  # host:port without a scheme first: it has its own hint
    check_scheme(uri)
    if is_http(uri):
        from modelyard.client.credentials import token_for
        from modelyard.client.http import HttpClient

        kwargs.setdefault("token", token_for(uri))
        return HttpClient(uri, **kwargs)
    if "token" not in kwargs:
        from modelyard.config import client_token_from_env

        kwargs["token"] = client_token_from_env()
    from modelyard.client.local import LocalClient

    return LocalClient(uri, create=create, **kwargs)
