"""Request decoding shared by the MLflow-compatible routers.

The mlflow client sends the fields of GET calls as a query string (repeated keys for
lists) and those of POST, PATCH and DELETE calls as a JSON body.  :func:`mlflow_args`
gives one dict either way, and the ``get_*`` helpers read typed fields from it with
the error MLflow answers (``INVALID_PARAMETER_VALUE``) when one is missing or wrong.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from modelyard.errors import InvalidParameter
from modelyard.server.deps import json_body


async def mlflow_args(request: Request) -> dict[str, Any]:
    """The call's fields: the query string on GET, the JSON body otherwise (an empty
    body is an empty object; a non-empty one must be JSON)."""
    args: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in args:
            prev = args[key]
            args[key] = prev + [value] if isinstance(prev, list) else [prev, value]
        else:
            args[key] = value
    if request.method != "GET" and _has_body(request):
        args.update(await json_body(request))
    return args


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length != "0"
    return "transfer-encoding" in request.headers


def get_str(args: dict[str, Any], key: str, default: str | None = None, *,
            required: bool = False) -> str | None:
    value = args.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None or value == "":
        if required:
            raise InvalidParameter(f"Missing value for required parameter '{key}'.")
        return default
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{key}': expected a string")
    return str(value)


def need_str(args: dict[str, Any], key: str) -> str:
    return get_str(args, key, required=True)  # type: ignore[return-value]


def get_int(args: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = args.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{key}': expected an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter '{key}': expected an integer") from None


def get_float(args: dict[str, Any], key: str, default: float | None = None) -> float | None:
    value = args.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{key}': expected a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter '{key}': expected a number") from None


def get_bool(args: dict[str, Any], key: str, default: bool = False) -> bool:
    value = args.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InvalidParameter(f"Invalid value {value!r} for parameter '{key}': expected a boolean")


def get_list(args: dict[str, Any], key: str) -> list[Any]:
    value = args.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def get_tags(args: dict[str, Any], key: str = "tags") -> dict[str, str]:
    """MLflow's ``[{"key": k, "value": v}, ...]`` as a dict."""
    out: dict[str, str] = {}
    for item in get_list(args, key):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise InvalidParameter(f"each of '{key}' must be an object with 'key' and 'value'")
        value = item.get("value", "")
        out[item["key"]] = "" if value is None else str(value)
    return out
