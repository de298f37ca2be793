"""No mutating request that a browser could send cross-site without asking first.

An HTML form, or a script of another origin without a CORS preflight, can only send
GET, HEAD and POST with no custom header and a "simple" content type (none,
``text/plain``, ``application/x-www-form-urlencoded``, ``multipart/form-data``).
So every POST, PUT, PATCH and DELETE must carry a content type that is not simple
(JSON, or bytes such as ``application/octet-stream``) or one of the custom headers ``X-Modelyard-Client`` / ``X-Requested-With`` (the SDK sends the first
on every call; a body-less ``/restore`` POST needs one of them), with two exceptions
for requests that a browser can never send without asking first, because PUT, PATCH
and DELETE are not simple methods: a PUT to a blob upload route (bytes of any type),
and PUT, PATCH and DELETE on the MLflow-compatible paths, which the mlflow client sends
without a body (deletes) or with a file's guessed type (artifact uploads, ``text/plain``
included).  A POST always needs a non-simple content type or the header, on every API path
(DVC's HTTP remote pushes an object with a POST of ``application/octet-stream``).

The web UI's pages (every path outside the APIs' prefixes) post HTML forms: those are
let through here and checked by the UI's own per-session form token
(:mod:`modelyard.server.ui.csrf`), which every UI form handler reads its fields through.
"""

from __future__ import annotations

from typing import Any

from modelyard.server.errors import send_error
from modelyard.server.limits import is_upload_route
from modelyard.server.paths import is_api_path

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MLFLOW_PREFIXES = ("/api/2.0/mlflow", "/api/3.0/mlflow", "/ajax-api/")
CUSTOM_HEADERS = (b"x-modelyard-client", b"x-requested-with")
SIMPLE_TYPES = frozenset({"", "text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data"})
CLEARML_PREFIX = "/clearml/"


def _not_simple(content_type: str) -> bool:
    """A content type a browser sends cross-site only after a CORS preflight."""
    return content_type.split(";", 1)[0].strip().lower() not in SIMPLE_TYPES


def allowed(method: str, path: str, headers: dict[bytes, bytes]) -> bool:
    if method not in MUTATING:
        return True
    if method == "POST" and not is_api_path(path):
        return True  # a UI form: its token is checked by the UI (see the module docs)
    if method != "POST" and (path.startswith(_MLFLOW_PREFIXES) or is_upload_route(method, path)):
        return True
    if any(h in headers for h in CUSTOM_HEADERS):
        return True
    if path.startswith(CLEARML_PREFIX) and b"authorization" in headers:
        # The clearml SDK's uploads (multipart) and event batches (json-lines) carry
        # its login token, which a cross-site form cannot send without asking first.
        return True
    return _not_simple(headers.get(b"content-type", b"").decode("latin-1"))


class RequireNonSimple:
    """ASGI middleware: see the module docs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.lower(): v for k, v in scope.get("headers", ())}
            if not allowed(scope.get("method", ""), scope.get("path", ""), headers):
                await send_error(
                    send, 400, "INVALID_PARAMETER_VALUE",
                    f"{scope['method']} requests need a JSON body (content-type: "
                    "application/json) or an X-Modelyard-Client header", scope.get("path", ""))
                return
        await self.app(scope, receive, send)
