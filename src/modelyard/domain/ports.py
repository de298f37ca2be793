"""What the domain needs from the outside, as Protocols.

- :class:`MetadataStore` opens transactions (``read()`` / ``write()``); a transaction
  exposes one repository per aggregate.  Implemented by ``store/sql_store.py``.
- :class:`BlobStore` keeps content-addressed bytes.  Implemented in ``artifacts/``.
- :class:`Clock` gives the time, so tests can pass a fixed one.

The repositories' full method lists live with their SQL implementation; the domain
calls them only inside a transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Protocol


class Transaction(Protocol):
    """One transaction; a repository per aggregate (their methods are documented with
    their SQL implementation in ``store/``)."""

    registry: Any
    events: Any
    tracking: Any
    datasets: Any
    lineage: Any
    logged_models: Any

    def referenced_digests(self) -> set[str]: ...


class MetadataStore(Protocol):
    dialect: str

    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(self) -> AbstractContextManager[Transaction]: ...

    def dispose(self) -> None: ...


class BlobWriter(Protocol):
    """An upload in progress: bytes go to a temporary file, become visible on commit.
    ``digest`` is the expected sha256 given to ``BlobStore.writer`` or, when that was
    None, the one computed (set by ``commit``)."""

    digest: str | None

    def write(self, chunk: bytes) -> None: ...

    def commit(self, expected_size: int | None = None) -> int: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    def has(self, digest: str) -> bool: ...

    def missing(self, digests: Iterable[str]) -> list[str]: ...

    def size(self, digest: str) -> int: ...

    def writer(self, digest: str | None, max_size: int) -> BlobWriter: ...

    def put_file(self, path: str, digest: str) -> int: ...

    def open(self, digest: str) -> BinaryIO: ...

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = 1 << 20) -> Iterator[bytes]: ...

    def local_path(self, digest: str) -> str | None: ...

    def delete(self, digest: str) -> None: ...

    def iter_blobs(self) -> Iterator[tuple[str, float]]: ...

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Partial uploads with no write since ``older_than`` (epoch seconds): their
        count and bytes, removed (aborted on S3) unless ``dry_run``."""
        ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
