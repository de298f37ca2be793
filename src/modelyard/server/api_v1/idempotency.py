"""``Idempotency-Key`` on the native API's mutating POSTs (ASGI middleware).

A POST under ``/api/v1/`` that carries the header is run once per (principal, route,
key): the body is read (within its limit), fingerprinted with the query, and the key
claimed through :class:`~modelyard.domain.idempotency.IdempotencyService`.  The first
request runs and its successful answer (status and body) is kept for a day; a retry
with the same request gets that answer again, marked ``Idempotent-Replayed: true``; the
same key with a different request is a 409 ``IDEMPOTENCY_KEY_REUSED``.  A request that
arrives while the first one runs waits for its answer (up to :data:`WAIT_SECONDS`,
then a 409 ``INVALID_STATE`` saying to retry).  Requests without the header, and other
methods, pass untouched.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from modelyard.domain.idempotency import IdempotencyService, StoredAnswer, fingerprint
from modelyard.errors import ModelyardError
from modelyard.server.deps import principal
from modelyard.server.errors import send_error, shown_message

HEADER = b"idempotency-key"
PREFIX = "/api/v1/"
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05
# Answers above this size run normally but are not kept (a manifest of many files).
MAX_KEPT = 8 << 20
# POSTs that change nothing: a key on them is ignored (nothing to run twice), so their
# answers (presigned storage URLs, blob bytes) are never written to the database.
READ_ONLY = ("/search", "/blobs/missing", "/blobs:locate", "/blobs:batch-read", "/urls")

log = logging.getLogger("modelyard.server")


class Idempotency:
    def __init__(self, app: Any, *, service: IdempotencyService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        if scope["type"] != "http" or scope["method"] != "POST" or HEADER not in headers \
                or not scope["path"].startswith(PREFIX) or scope["path"].endswith(READ_ONLY):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # the body limit, answered as the limit does
            await send_error(send, exc.status_code, "REQUEST_LIMIT_EXCEEDED", str(exc.detail))
            return
        key = headers[HEADER].decode("latin-1")
        route = f"POST {scope['path']}"
        digest = fingerprint(scope.get("query_string", b""),
                             headers.get(b"content-type", b""), body)
        who = principal(Request(scope))
        try:
            begin = await run_in_threadpool(self.service.begin, who, key, route, digest)
            waited = 0.0
            while begin.action == "wait" and waited < WAIT_SECONDS:
                await asyncio.sleep(POLL_SECONDS)
                waited += POLL_SECONDS
                begin = await run_in_threadpool(self.service.begin, who, key, route, digest)
        except ModelyardError as exc:
            await send_error(send, exc.http_status, exc.code, shown_message(exc))
            return
        if begin.action == "wait":
            await send_error(send, 409, "INVALID_STATE",
                             "a request with this Idempotency-Key is still running; retry later")
            return
        if begin.answer is not None:
            await _replay(send, begin.answer)
            return
        await self._run(scope, body, receive, send, begin.scope)

    async def _run(self, scope: Any, body: bytes, receive: Any, send: Any, claim: str) -> None:
        status = 0
        ctype = ""
        parts: list[bytes] = []
        size = 0

        delivered = False

        async def replayed_body() -> Any:
            # The body read above, once; then the connection's own messages (a
            # disconnect).
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        last: Any = None

        async def recording(message: Any) -> None:
            nonlocal status, ctype, size, last
            if message["type"] == "http.response.start":
                status = message["status"]
                ctype = dict(message.get("headers", ())).get(b"content-type", b"").decode(
                    "latin-1")
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= MAX_KEPT:
                    parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    last = message  # sent once the answer is kept (below)
                    return
            await send(message)

        try:
            await self.app(scope, replayed_body, recording)
        except BaseException:
            await run_in_threadpool(self.service.release, claim)
            raise
        # The answer is kept before its last byte leaves: a client that has the whole
        # answer finds its key done, never still running.
        try:
            if 200 <= status < 300 and size <= MAX_KEPT:
                text = b"".join(parts).decode("utf-8", "replace")
                await run_in_threadpool(self.service.finish, claim,
                                        StoredAnswer(status, ctype, text))
            else:
                await run_in_threadpool(self.service.release, claim)
        except ModelyardError as exc:  # the work is done: answer it all the same
            log.warning("idempotency key not recorded: %s", exc.code)
        if last is not None:
            await send(last)


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _replay(send: Any, answer: StoredAnswer) -> None:
    body = answer.body.encode()
    headers = [(b"content-length", str(len(body)).encode()),
               (b"idempotent-replayed", b"true")]
    if answer.content_type:
        headers.append((b"content-type", answer.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
