"""ClearML's wire format: requests and the ``{"meta", "data"}`` envelope.

The SDK sends every call as ``GET`` (or ``POST``) with a JSON body, adds a stray
``"method"`` key, and retries forever on an answer without ``meta`` or with a
``result_code`` above 500, so every answer here, errors included, is an envelope with a
code of at most 500 (and the same HTTP status).  Errors carry ClearML's result codes
and subcodes: 400 with the subcode of "invalid id" for a missing task, model or
project, 401 for credentials, 403 for a refused operation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from modelyard.errors import InvalidParameter, ModelyardError, PayloadTooLarge, RangeNotSatisfiable
from modelyard.server.errors import (
    ENVELOPES,
    UNEXPECTED,
    error_body,
    logged_path,
    request_id,
    shown_message,
)

API_VERSION = "2.23"
FILES = "/clearml/files"
log = logging.getLogger("modelyard.server")

# ClearML's "invalid id" subcodes per service (the SDK checks (400, 201) for models).
_NOT_FOUND_SUBCODE = {"tasks": 101, "models": 201, "projects": 401}
_STATUS = {"INVALID_PARAMETER_VALUE": 400, "RESOURCE_ALREADY_EXISTS": 400,
           "RESOURCE_DOES_NOT_EXIST": 400, "UNAUTHENTICATED": 401,
           "PERMISSION_DENIED": 403, "REQUEST_LIMIT_EXCEEDED": 413,
           "TOO_MANY_REQUESTS": 400, "ENDPOINT_NOT_FOUND": 404}


def _endpoint_of(path: str) -> tuple[str, str]:
    """(endpoint name, requested version) of a ClearML API path."""
    parts = path.rstrip("/").split("/")
    name = parts[-1] if parts else ""
    version = parts[-2][1:] if len(parts) >= 2 and parts[-2].startswith("v") else ""
    return name, version


def meta(path: str, code: int = 200, subcode: int = 0, msg: str = "OK") -> dict[str, Any]:
    name, version = _endpoint_of(path)
    rid = request_id.get()
    return {"id": rid, "trx": rid, "result_code": code, "result_subcode": subcode,
            "result_msg": msg, "error_stack": "",
            "endpoint": {"name": name, "requested_version": version or API_VERSION,
                         "actual_version": API_VERSION}}


def ok(path: str, data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"meta": meta(path), "data": data})


def error(path: str, exc: ModelyardError, shown: str | None = None) -> JSONResponse:
    """The envelope of ``exc``; ``shown``: the message, when the fault was logged
    already (otherwise :func:`shown_message` decides, and logs a 5xx)."""
    name, _ = _endpoint_of(path)
    status = _STATUS.get(exc.code, 500 if exc.http_status >= 500 else 400)
    subcode = _NOT_FOUND_SUBCODE.get(name.split(".")[0], 0) \
        if exc.code == "RESOURCE_DOES_NOT_EXIST" else 0
    msg = shown if shown is not None else shown_message(exc)
    headers = {"X-Request-Id": request_id.get()} if request_id.get() else {}
    if path.startswith(FILES):  # a file server answers as HTTP does: a missing file is 404
        status = min(exc.http_status, 500)
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    # The envelope the SDK reads, and beside it the fields every modelyard error has.
    body = {"meta": meta(path, status, subcode, f"{exc.code}: {msg}"), "data": {},
            "error_code": exc.code, "message": msg, "request_id": request_id.get()}
    return JSONResponse(body, status_code=status, headers=headers)


def middleware_error(path: str, status: int, code: str, message: str) -> dict[str, Any]:
    """The envelope of an error answered before a route (a body over the limit)."""
    return {"meta": meta(path, min(status, 500), 0, f"{code}: {message}"), "data": {},
            **error_body(code, message)}


ENVELOPES["/clearml/api/"] = middleware_error


class ClearmlRoute(APIRoute):
    """Every answer of a ClearML API route is an envelope: a domain error raised by
    the handler or by a dependency (authentication included) becomes one."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def envelope(request: Request) -> Response:
            try:
                response: Response = await handler(request)
                return response
            except ModelyardError as exc:
                return error(request.url.path, exc)
            except Exception as exc:  # an envelope, or the SDK retries forever
                log.error("request %s: unhandled %s on %s", request_id.get(),
                          type(exc).__name__, logged_path(request.scope), exc_info=exc)
                return error(request.url.path, ModelyardError(UNEXPECTED), UNEXPECTED)
        return envelope


def _not_a_number(text: str) -> float:
    raise ValueError(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("a number too large")
    return value


def loads(raw: bytes | str) -> Any:
    """JSON as the SDK sends it; ``NaN``, ``Infinity`` and numbers beyond a float's
    range (which Python's parser would let through as ``inf``) are malformed."""
    return json.loads(raw, parse_constant=_not_a_number, parse_float=_finite)


async def read_args(request: Request, limit: int) -> dict[str, Any]:
    """The call's fields: the JSON body (on GET too), then the query string; an empty
    body is an empty object.  Unknown keys are kept and ignored by the handlers."""
    raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    args: dict[str, Any] = {}
    if raw.strip():
        try:
            data = loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidParameter("malformed JSON in request body") from None
        if not isinstance(data, dict):
            raise InvalidParameter("request body must be a JSON object")
        args.update(data)
    for key, value in request.query_params.items():
        args.setdefault(key, value)
    return args


async def read_lines(request: Request, limit: int) -> list[dict[str, Any]]:
    """A json-lines body (``events.add_batch``), or a JSON list or object.  ``NaN`` and
    ``Infinity`` are read (the SDK reports them when told to); each event is checked
    on its own, so one of them fails that event, not the batch."""
    raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    out: list[dict[str, Any]] = []
    try:
        text = raw.decode("utf-8").strip()
        if text.startswith("["):
            items = json.loads(text)
            return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        for line in text.splitlines():
            if line.strip():
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("malformed json-lines body") from None
    return out


def s(args: dict[str, Any], key: str, default: str = "") -> str:
    value = args.get(key)
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        raise InvalidParameter(f"field {key!r} must be a string")
    return str(value)


def flag(args: dict[str, Any], key: str) -> bool:
    """A boolean field: JSON ``true``/``false``, or from a query string ``true``,
    ``1``, ``false``, ``0`` (the string ``"false"`` is not true)."""
    value = args.get(key)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("", "0", "false", "no", "off"):
            return False
        if lowered in ("1", "true", "yes", "on"):
            return True
        raise InvalidParameter(f"field {key!r} must be true or false")
    if isinstance(value, (dict, list)):
        raise InvalidParameter(f"field {key!r} must be true or false")
    return bool(value)


def section(value: Any, key: str) -> dict[str, Any]:
    """A JSON object field (None: empty); anything else is refused, so that a stored
    section always has the shape its readers expect."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter(f"field {key!r} must be a JSON object")
    return value


#: The most ids one ``get_all`` looks up (each is a lookup of its own).
MAX_IDS = 10_000


def ids(args: dict[str, Any], key: str = "id") -> list[str] | None:
    """A list of ids to look up, at most :data:`MAX_IDS`."""
    found = strings(args, key)
    if found is not None and len(found) > MAX_IDS:
        raise InvalidParameter(f"at most {MAX_IDS} ids a call, not {len(found)}")
    return found


def need(args: dict[str, Any], key: str) -> str:
    value = s(args, key)
    if not value:
        raise InvalidParameter(f"missing required field {key!r}")
    return value


def strings(args: dict[str, Any], key: str) -> list[str] | None:
    """A list-of-strings field (a single string counts as a list of one); None: absent."""
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"field {key!r} must be a list of strings")
    return list(value)
