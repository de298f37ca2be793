"""modelyard: a self-hosted registry for machine-learning models."""

from __future__ import annotations

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
]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Lazy, so `import modelyard` stays cheap for the CLI and the server.
    if name == "Client":
        from modelyard.client import Client

        return Client
    raise AttributeError(name)
