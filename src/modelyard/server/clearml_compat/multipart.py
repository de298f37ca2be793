"""A streaming reader of ``multipart/form-data`` bodies, for the file server's uploads.

The SDK posts one part whose field name is the target path; its bytes go straight
into the blob writer as they arrive (never whole in memory, never spooled to a second
file).  :func:`parts` yields ``(field name, chunks)`` for each part; the caller must
consume (or drop) one part's chunks before asking for the next.  Part headers are
bounded, the number of parts too, and a body that ends before its closing boundary
is an error: a truncated upload stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from modelyard.errors import InvalidParameter

MAX_HEADERS = 16 * 1024
MAX_PARTS = 16
_NAME = re.compile(r'(?:^|;)\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.IGNORECASE)
_BOUNDARY = re.compile(r'(?:^|;)\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s]{1,200}))',
                       re.IGNORECASE)


def boundary_of(content_type: str) -> bytes:
    kind = content_type.split(";", 1)[0].strip().lower()
    found = _BOUNDARY.search(content_type)
    if kind != "multipart/form-data" or not found:
        raise InvalidParameter("an upload must be multipart/form-data with a boundary")
    return (found.group(1) or found.group(2)).encode("latin-1")


def _field_name(headers: bytes) -> str:
    for line in headers.split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-disposition":
            found = _NAME.search(value.decode("utf-8", "replace"))
            if found:
                quoted = found.group(1)
                if quoted is not None:
                    return re.sub(r"\\(.)", r"\1", quoted)
                return found.group(2)
    raise InvalidParameter("a multipart part has no field name")


class _Reader:
    def __init__(self, stream: AsyncIterator[bytes], boundary: bytes) -> None:
        self.stream = stream
        self.delimiter = b"\r\n--" + boundary
        self.buf = bytearray(b"\r\n")  # so the first boundary matches the delimiter too
        self.ended = False

    async def fill(self) -> bool:
        if self.ended:
            return False
        async for chunk in self.stream:
            if chunk:
                self.buf += chunk
                return True
        self.ended = True
        return False

    async def skip_to_delimiter(self) -> None:
        while (at := self.buf.find(self.delimiter)) < 0:
            del self.buf[:max(0, len(self.buf) - len(self.delimiter))]
            if not await self.fill():
                raise InvalidParameter("the upload ended before its multipart boundary")
        del self.buf[:at + len(self.delimiter)]

    async def after_delimiter(self) -> bool:
        """True: a part follows; False: the closing boundary."""
        while len(self.buf) < 2:
            if not await self.fill():
                raise InvalidParameter("the upload ended inside a multipart boundary")
        if self.buf[:2] == b"--":
            return False
        while (eol := self.buf.find(b"\r\n")) < 0:  # transport padding, then CRLF
            if len(self.buf) > 256 or not await self.fill():
                raise InvalidParameter("malformed multipart boundary line")
        if self.buf[:eol].strip(b" \t"):
            raise InvalidParameter("malformed multipart boundary line")
        del self.buf[:eol + 2]
        return True

    async def headers(self) -> bytes:
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > MAX_HEADERS:
                raise InvalidParameter("multipart part headers are too large")
            if not await self.fill():
                raise InvalidParameter("the upload ended inside a part's headers")
        if end > MAX_HEADERS:
            raise InvalidParameter("multipart part headers are too large")
        head = bytes(self.buf[:end])
        del self.buf[:end + 4]
        return head

    async def body(self) -> AsyncIterator[bytes]:
        keep = len(self.delimiter) - 1
        while True:
            at = self.buf.find(self.delimiter)
            if at >= 0:
                if at:
                    yield bytes(self.buf[:at])
                del self.buf[:at + len(self.delimiter)]
                return
            if len(self.buf) > keep:
                out = bytes(self.buf[:len(self.buf) - keep])
                del self.buf[:len(out)]
                yield out
            if not await self.fill():
                raise InvalidParameter("the upload ended before its multipart boundary")


async def parts(stream: AsyncIterator[bytes],
                content_type: str) -> AsyncIterator[tuple[str, AsyncIterator[bytes]]]:
    reader = _Reader(stream, boundary_of(content_type))
    await reader.skip_to_delimiter()
    count = 0
    while await reader.after_delimiter():
        count += 1
        if count > MAX_PARTS:
            raise InvalidParameter(f"an upload holds at most {MAX_PARTS} parts")
        name = _field_name(await reader.headers())
        body = reader.body()
        yield name, body
        async for _ in body:  # whatever the caller left unread
            pass
