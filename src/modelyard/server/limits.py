"""Request body limits, enforced while the body streams in.

Every route has a limit: the blob upload routes ``max_upload_size``, every other
route ``max_request_json``.  A declared ``Content-Length`` above the limit is refused
before a byte of the body is read; a chunked body is counted as it arrives and cut
at the limit, so no body is ever held whole in memory to find out it is too long.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException

from modelyard.server.errors import send_error

# Routes whose body is a blob of bytes (streamed into the blob store).
_UPLOAD_ROUTES = re.compile(
    r"/api/v1/blobs/sha256/[^/]+|/api/v1/uploads/[^/]+/parts/[^/]+"
    r"|/(?:ajax-)?api/2\.0/mlflow-artifacts/artifacts/.+")
# DVC's HTTP remote pushes an object with a POST (or a PUT) of its bytes.
_DVC_OBJECT = re.compile(r"/dvc/[^/]+/files/md5/[^/]+/[^/]+")


def is_blob_path(path: str) -> bool:
    """A path of a blob or MLflow artifact (whose PUT is an upload)."""
    return _UPLOAD_ROUTES.fullmatch(path) is not None


def is_dvc_object(path: str) -> bool:
    return _DVC_OBJECT.fullmatch(path) is not None


def is_upload_route(method: str, path: str) -> bool:
    """A blob PUT, a DVC object push, or a ClearML file-server upload (a multipart POST)."""
    if method == "POST" and path in ("/clearml/files", "/clearml/files/"):
        return True
    return (method == "PUT" and is_blob_path(path)) or (
        method in ("POST", "PUT") and is_dvc_object(path))


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes its limit.  An HTTPException, so
    that FastAPI's body parsing lets it through as it is (any other exception there
    becomes a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


class BodyLimit:
    """ASGI middleware: see the module docs."""

    def __init__(self, app: Any, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    def limit_for(self, scope: Any) -> int:
        if is_upload_route(scope.get("method", ""), scope.get("path", "")):
            return self.upload_limit
        return self.json_limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await send_error(send, 413, "REQUEST_LIMIT_EXCEEDED",
                             f"request body of {declared} bytes is larger than the limit "
                             f"of {limit} bytes", scope.get("path", ""))
            return
        received = 0
        exceeded = False

        async def counted() -> Any:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        replaced = False

        async def guarded(message: Any) -> None:
            # A handler that caught the error and answered something else is overruled:
            # a body over its limit is always a 413.
            nonlocal replaced
            if exceeded and message["type"] == "http.response.start" \
                    and message["status"] != 413:
                replaced = True
                await send_error(send, 413, "REQUEST_LIMIT_EXCEEDED",
                                 f"request body is larger than the limit of {limit} bytes",
                                 scope.get("path", ""))
                return
            if replaced:
                return
            await send(message)

        await self.app(scope, counted, guarded)


def _content_length(scope: Any) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None
