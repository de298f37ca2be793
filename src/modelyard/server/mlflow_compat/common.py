"""Request decoding shared by the MLflow-compatible routers.

The mlflow client sends the fields of GET calls as a query string (repeated keys for
lists) and those of POST, PATCH and DELETE calls as a JSON body.  :func:`mlflow_args`
gives one dict either way, and the ``get_*`` helpers read typed fields from it with
the error MLflow answers (``INVALID_PARAMETER_VALUE``) when one is missing or wrong.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request
from fastapi.datastructures import DefaultPlaceholder
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from starlette.responses import Response


from modelyard.domain.entities import Principal
from modelyard.domain.validation import check_int
from modelyard.errors import InvalidParameter
from modelyard.server import deps
from modelyard.server.deps import json_body
from modelyard.server.mlflow_compat.handler import json_response, lean_handler
from modelyard.services import Services

# FastAPI's own (private): where an included route's dependencies are found.  Another
# FastAPI without it: every route takes FastAPI's handler.
_effective_route_context_var: Any = getattr(fastapi_routing, "_effective_route_context_var",
                                            None)


# The same dependencies as ``server/deps.py``, as coroutines: FastAPI runs a plain
# ``def`` dependency in the thread pool, a hop that costs more than the call itself
# on the MLflow client's hot paths (every alias write is two round trips).
async def services(request: Request) -> Services:
    return deps.services(request)


async def principal(request: Request) -> Principal:
    return deps.principal(request)


def _as_json(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an endpoint so that the dict it returns goes out as JSON as it is; FastAPI
    would first walk it with ``jsonable_encoder``, which costs more than the whole
    call for a page of versions or runs.  The wrapper keeps the signature, so the
    dependencies are the endpoint's."""
    def wrap(result: Any) -> Any:
        return json_response(result) if isinstance(result, dict) else result

    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            return wrap(await endpoint(*args, **kwargs))
        return run_async

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        return wrap(endpoint(*args, **kwargs))
    return run


class MlflowRoute(APIRoute):
    """The route class of every MLflow-compatible router: answers go out as JSON as
    they are (:func:`_as_json`), and a route that takes only request-only dependencies
    gets the lean handler of :mod:`~modelyard.server.mlflow_compat.handler`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["response_model"] = None
        super().__init__(path, _as_json(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # FastAPI builds the handler once per place the route is included, with that
        # place's dependencies (the app's authentication first) in ``self.dependant``
        # or, for an included route, in the context FastAPI is building it for.
        # Fail closed: the lean handler only where the app's authentication is seen to
        # be the first dependency, and the answer is the default JSON with a body.
        if _effective_route_context_var is None:
            return super().get_route_handler()
        found = _effective_route_context_var.get()
        route = found if found is not None and found.original_route is self else self
        deps_ = route.dependant.dependencies
        if (not deps_ or not _is_authenticate(deps_[0].call)
                or not isinstance(route.response_class, DefaultPlaceholder)
                or not (route.status_code is None
                        or is_body_allowed_for_status_code(route.status_code))):
            return super().get_route_handler()
        lean = lean_handler(route.dependant, route.status_code)
        return lean if lean is not None else super().get_route_handler()


def _is_authenticate(call: Any) -> bool:
    """``server/auth.py``'s ``authenticate`` (named: that module imports this one's)."""
    return (getattr(call, "__module__", None) == "modelyard.server.auth"
            and getattr(call, "__name__", None) == "authenticate")


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


DOCS_HINT = " See the API docs for more information about request parameters."


def missing(key: str) -> str:
    """MLflow's message for a required field that is absent or empty."""
    return f"Missing value for required parameter '{key}'.{DOCS_HINT}"


def invalid_type(key: str, value: Any) -> str:
    """MLflow's message for a field of the wrong JSON type (``{"name": 123}``): it
    checks types before anything else and converts nothing."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return (f"Invalid value {shown} for parameter '{key}' supplied:  Hint: Value was of "
            f"type '{type(value).__name__}'.{DOCS_HINT}")


def last_value(args: dict[str, Any], key: str) -> Any:
    """Field ``key`` as sent; of a key repeated in a query string, the last one."""
    value = args.get(key)
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def get_str(args: dict[str, Any], key: str, default: str | None = None, *,
            required: bool = False) -> str | None:
    value = last_value(args, key)
    if value is None or value == "":
        if required:
            raise InvalidParameter(missing(key))
        return default
    if not isinstance(value, str):
        raise InvalidParameter(invalid_type(key, value))
    return value


def need_str(args: dict[str, Any], key: str) -> str:
    value = get_str(args, key, required=True)
    assert value is not None  # required: get_str raised otherwise
    return value


def _number(args: dict[str, Any], key: str, cast: Callable[[Any], Any]) -> Any:
    value = last_value(args, key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidParameter(invalid_type(key, value))
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise InvalidParameter(invalid_type(key, value)) from None


def get_int(args: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = _number(args, key, lambda v: check_int(v, key))
    return default if value is None else value


def get_float(args: dict[str, Any], key: str, default: float | None = None) -> float | None:
    value = _number(args, key, float)
    return default if value is None else value


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
    raise InvalidParameter(invalid_type(key, value))


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


# The dependencies every MLflow endpoint takes: its fields, the services, the actor.
Args = Depends(mlflow_args)
Svc = Depends(services)
Who = Depends(principal)
