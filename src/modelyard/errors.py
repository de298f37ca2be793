"""The one exception tree of modelyard, shared by the server, the SDK and the CLI.

::

    ModelyardError                      INTERNAL_ERROR            500
     +-- InvalidParameter               INVALID_PARAMETER_VALUE   400
     |    +-- DigestMismatch            BAD_DIGEST                400
     +-- NotFound                       RESOURCE_DOES_NOT_EXIST   404
     +-- AlreadyExists                  RESOURCE_ALREADY_EXISTS   400 (as MLflow answers)
     +-- Conflict                       INVALID_STATE             409
     |    +-- IdempotencyKeyReused      IDEMPOTENCY_KEY_REUSED    409
     |    +-- ApprovalRequired          APPROVAL_REQUIRED         409
     +-- PayloadTooLarge                REQUEST_LIMIT_EXCEEDED    413
     +-- Unauthenticated                UNAUTHENTICATED           401
     +-- PermissionDenied               PERMISSION_DENIED         403
     +-- RateLimited                    TOO_MANY_REQUESTS         429
     +-- NotImplementedByServer         ENDPOINT_NOT_FOUND        404
     +-- ServiceUnavailable             TEMPORARILY_UNAVAILABLE   503

Each class carries a stable ``code`` (MLflow's names, so both APIs agree) and an
``http_status``.  The server turns an instance into ``{"error_code", "message"}``
(``server/errors.py``); the HTTP client turns that body back into the same class
(:func:`from_code`); the CLI prints ``str(err)`` on one line and exits 1.

It also holds :func:`redact_url`, the one way a URL is shown in a message or a log
line.  This module imports nothing from the package.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "AlreadyExists",
    "ApprovalRequired",
    "Conflict",
    "DigestMismatch",
    "IdempotencyKeyReused",
    "InsufficientStorage",
    "InvalidParameter",
    "ModelyardError",
    "NoSuchAlias",
    "NoSuchTag",
    "NotFound",
    "NotImplementedByServer",
    "PayloadTooLarge",
    "PermissionDenied",
    "RangeNotSatisfiable",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthenticated",
    "from_code",
    "redact_url",
]


class ModelyardError(Exception):
    code = "INTERNAL_ERROR"
    http_status = 500

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.__class__.__name__
        self.details = details

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, object]:
        return {"error_code": self.code, "message": self.message}


class InvalidParameter(ModelyardError, ValueError):
    code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class RangeNotSatisfiable(InvalidParameter):
    """A ``Range`` that no byte of the blob is in; answered 416 with the size."""

    http_status = 416

    def __init__(self, size: int) -> None:
        super().__init__(f"requested range is not satisfiable: the blob has {size} bytes")
        self.size = size


class DigestMismatch(InvalidParameter):
    code = "BAD_DIGEST"


class NotFound(ModelyardError, LookupError):
    code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class NoSuchTag(NotFound):
    """A tag to delete is not there (its entity is).  The same code and status as
    :class:`NotFound`; the MLflow API answers it as MLflow does: for a model's or a
    version's tag a delete of nothing succeeds, for a run's, an experiment's or a
    logged model's it is this 404."""


class NoSuchAlias(NotFound):
    """A model has no alias of that name (the model exists).  The MLflow API answers
    it as MLflow does: a read of it is INVALID_PARAMETER_VALUE, a delete of it
    succeeds."""


class AlreadyExists(ModelyardError):
    code = "RESOURCE_ALREADY_EXISTS"
    # MLflow answers 400 for this code and its client expects it; we agree.
    http_status = 400


class Conflict(ModelyardError):
    code = "INVALID_STATE"
    http_status = 409


class IdempotencyKeyReused(Conflict):
    """An ``Idempotency-Key`` sent again with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class ApprovalRequired(Conflict):
    """A transition that needs approvals: the request it opened (committed) is
    ``request_id``, named in the message (``request #12 opened: needs 2 approvals
    from maintainer``)."""

    code = "APPROVAL_REQUIRED"

    @property
    def request_id(self) -> int | None:
        digits = self.message.split("#", 1)[1].split(" ", 1)[0] if "#" in self.message else ""
        return int(digits) if digits.isdigit() else None


class PayloadTooLarge(ModelyardError):
    code = "REQUEST_LIMIT_EXCEEDED"
    http_status = 413


class Unauthenticated(ModelyardError):
    code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(ModelyardError, PermissionError):
    code = "PERMISSION_DENIED"
    http_status = 403


class RateLimited(ModelyardError):
    """Too many failed logins; ``retry_after`` (seconds) is sent as ``Retry-After``."""

    code = "TOO_MANY_REQUESTS"
    http_status = 429

    def __init__(self, message: str = "", retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotImplementedByServer(ModelyardError):
    code = "ENDPOINT_NOT_FOUND"
    http_status = 404


class ServiceUnavailable(ModelyardError):
    code = "TEMPORARILY_UNAVAILABLE"
    http_status = 503


class InsufficientStorage(ModelyardError):
    """The storage is full (or over its quota): nothing of the write was kept."""

    code = "RESOURCE_EXHAUSTED"  # MLflow's name for it
    http_status = 507


_BY_CODE: dict[str, type[ModelyardError]] = {
    cls.code: cls
    for cls in (
        ModelyardError,
        InvalidParameter,
        DigestMismatch,
        NotFound,
        AlreadyExists,
        Conflict,
        IdempotencyKeyReused,
        ApprovalRequired,
        PayloadTooLarge,
        Unauthenticated,
        PermissionDenied,
        RateLimited,
        NotImplementedByServer,
        ServiceUnavailable,
        InsufficientStorage,
    )
}


def from_code(code: str, message: str) -> ModelyardError:
    """The exception for a wire ``error_code``; unknown codes become the base class."""
    cls = _BY_CODE.get(code, ModelyardError)
    err = cls(message)
    if cls is ModelyardError:
        err.code = code or ModelyardError.code
    return err


# Query parameters whose value is a credential (``aws_secret_access_key``, ``token``,
# ``sig``, ...), in any URL a user may configure.
_SECRET_PARAM = re.compile(r"secret|passw|token|key|credential|sig|auth", re.IGNORECASE)
_HIDDEN = "***"


def redact_url(url: str) -> str:
    """``url`` with its password and every credential-like query value replaced by
    ``***`` (also inside a URL given as a query value, e.g. ``endpoint_url``), for
    start-up lines, logs and messages.  A URL that does not parse shows its scheme only."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{_HIDDEN}@{host}" if ":" in userinfo else f"{user}@{host}"
        query = parts.query
        if query:
            pairs = [(k, _HIDDEN if _SECRET_PARAM.search(k) else
                      (redact_url(v) if "://" in v else v))
                     for k, v in parse_qsl(query, keep_blank_values=True)]
            query = urlencode(pairs, safe="/:*@")
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return (url.split("://", 1)[0] + "://" + _HIDDEN) if "://" in url else _HIDDEN
