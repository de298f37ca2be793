"""modelyard: a self-hosted registry for machine-learning models."""

from __future__ import annotations

from typing import Any

from modelyard.errors import (
    AlreadyExists,
    Conflict,
    DigestMismatch,
    InvalidParameter,
    ModelyardError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
)

__version__ = "0.1.0"

__all__ = [
    "AlreadyExists",
    "Client",
    "Conflict",
    "DigestMismatch",
    "InvalidParameter",
    "ModelyardError",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "Unauthenticated",
    "__version__",
    "active_run",
    "autolog",
    "end_run",
    "get_client",
    "get_tracking_uri",
    "load_model",
    "log_model",
    "save_model",
    "set_tracking_uri",
    "start_run",
]


# Lazy exports, so `import modelyard` stays cheap for the CLI and the server:
# public name -> module that defines it.
_LAZY = {
    "Client": "modelyard.client",
    "set_tracking_uri": "modelyard.fluent",
    "get_tracking_uri": "modelyard.fluent",
    "get_client": "modelyard.fluent",
    "start_run": "modelyard.fluent",
    "active_run": "modelyard.fluent",
    "end_run": "modelyard.fluent",
    "autolog": "modelyard.autolog",
    "log_model": "modelyard.flavors.api",
    "save_model": "modelyard.flavors.api",
    "load_model": "modelyard.flavors.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelyard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
