"""Reading the body of a batch read (``POST /api/v1/blobs:batch-read``): one frame a
blob, a header line ``<sha256 hex> <size>\\n`` then exactly ``size`` bytes, and the
line ``end\\n`` after the last frame.  A body that stops before ``end`` (the server
cut it, the connection dropped) is an error, never a short last file."""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelyard.errors import ServiceUnavailable

_HEADER = re.compile(r"([0-9a-f]{64}) ([0-9]{1,15})")
_MAX_LINE = 128


class FrameReader:
    """Frames out of an iterator of raw chunks (any sizes)."""

    def __init__(self, raw: Iterator[bytes], label: str) -> None:
        self.raw = raw
        self.label = label
        self.buf = b""
        self.pos = 0
        self._left = 0  # bytes of the current frame not read yet

    def frames(self, expected: list[str]) -> Iterator[tuple[str, int, Iterator[bytes]]]:
        """(digest, size, chunks) for each frame; the digests must come as asked."""
        for want in expected:
            line = self._line()
            found = _HEADER.fullmatch(line)
            if found is None or found.group(1) != want:
                raise self._broken(f"expected the frame of {want}")
            size = int(found.group(2))
            self._left = size
            yield want, size, self._take()
            for _ in self._take():  # what the consumer left unread
                pass
        if self._line() != "end":
            raise self._broken("no end marker after the last frame")

    def _fill(self) -> bool:
        for chunk in self.raw:
            if chunk:
                self.buf = self.buf[self.pos:] + chunk
                self.pos = 0
                return True
        return False

    def _line(self) -> str:
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 1
                return line.decode("ascii", "replace")
            if len(self.buf) - self.pos > _MAX_LINE or not self._fill():
                raise self._broken("the body ended early or a frame header is malformed")

    def _take(self) -> Iterator[bytes]:
        while self._left > 0:
            if self.pos >= len(self.buf) and not self._fill():
                raise self._broken("the body ended inside a blob")
            piece = self.buf[self.pos:self.pos + self._left]
            self.pos += len(piece)
            self._left -= len(piece)
            yield piece

    def _broken(self, what: str) -> ServiceUnavailable:
        return ServiceUnavailable(f"batch download from {self.label} failed: {what}; "
                                  "try again (if it persists, run `modelyard fsck`)")
