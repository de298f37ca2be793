"""``modelyard serve --require-token``: who may call the scoring endpoints.

A caller sends ``Authorization: Bearer <token>`` (or HTTP Basic with its user name and
a token or password, as the mlflow client does).  The credential is checked against
the registry, which answers whether its holder may read every model served here; the
answer is cached for :data:`TTL_SECONDS`, keyed by the sha256 of the header (never the
header itself), in a cache of at most :data:`MAX_ENTRIES` callers, and concurrent
requests with the same new credential share one registry call.  So a revoked token
stops working here within ``TTL_SECONDS``; a registry that cannot be reached answers
503 (never a cached "yes" past its time).

401 (no or a bad credential) and 403 (a good credential without read access) are the
serving protocol's own error bodies.  Health probes (``/ping``, ``/health``,
``/v2/health/*``) and ``/v2`` stay open; everything else needs the credential.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from modelyard.errors import (
    ModelyardError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)

if TYPE_CHECKING:
    from modelyard.client.base import BaseClient

__all__ = ["MAX_ENTRIES", "OPEN_PATHS", "TTL_SECONDS", "CallerCheck", "RequireToken"]

TTL_SECONDS = 5.0
MAX_ENTRIES = 4096
OPEN_PATHS = frozenset({"/ping", "/health", "/v2", "/v2/health/live", "/v2/health/ready"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="modelyard"'}


class CallerCheck:
    def __init__(self, client: BaseClient, models: Callable[[], list[str]], *,
                 ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.client = client
        self.models = models
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: OrderedDict[tuple[str, tuple[str, ...]],
                                 tuple[float, ModelyardError | None]] = OrderedDict()
        self._pending: dict[tuple[str, tuple[str, ...]],
                            asyncio.Future[ModelyardError | None]] = {}

    async def require(self, header: str | None) -> None:
        """Return if the caller may score here; raise Unauthenticated or
        PermissionDenied (or ServiceUnavailable / RateLimited from the registry)."""
        if not header:
            raise Unauthenticated("a token is needed here: send Authorization: Bearer "
                                  "<token> (or HTTP Basic with a user and its token)")
        key = (hashlib.sha256(header.encode("utf-8", "replace")).hexdigest(),
               tuple(sorted(set(self.models()))))
        now = time.monotonic()
        found = self._cache.get(key)
        if found is not None and found[0] > now:
            self._cache.move_to_end(key)
            answer = found[1]
        else:
            pending = self._pending.get(key)
            if pending is None:
                loop = asyncio.get_running_loop()
                pending = loop.run_in_executor(None, self._ask, header, key[1])
                self._pending[key] = pending
                try:
                    answer = await pending
                finally:
                    del self._pending[key]
                if answer is None or isinstance(answer, (Unauthenticated, PermissionDenied)):
                    self._remember(key, answer)
            else:
                answer = await asyncio.shield(pending)
        if answer is not None:
            raise answer

    def _remember(self, key: tuple[str, tuple[str, ...]], answer: ModelyardError | None) -> None:
        self._cache[key] = (time.monotonic() + self.ttl, answer)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)

    def _ask(self, header: str, models: tuple[str, ...]) -> ModelyardError | None:
        """The registry's answer for this credential (in a worker thread)."""
        try:
            for model in models:
                self.client.check_caller(header, model)
        except Unauthenticated:
            return Unauthenticated("invalid credentials")
        except (NotFound, PermissionDenied):
            return PermissionDenied("this credential may not read the model served here")
        except RateLimited as exc:
            return exc
        except ModelyardError:
            return ServiceUnavailable("the registry cannot be reached to check the credential")
        return None


class RequireToken:
    """ASGI middleware: every HTTP request but :data:`OPEN_PATHS` passes the check."""

    def __init__(self, app: ASGIApp, check: CallerCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization")
        try:
            await self.check.require(header)
        except ModelyardError as exc:
            headers = dict(CHALLENGE) if isinstance(exc, Unauthenticated) else {}
            if isinstance(exc, RateLimited):
                headers["Retry-After"] = str(exc.retry_after)
            response = Response(json.dumps(exc.to_dict()), status_code=exc.http_status,
                                media_type="application/json", headers=headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
