"""What every blob store shares.  The protocol itself is ``domain.ports.BlobStore``."""

from __future__ import annotations

from typing import Any

CHUNK = 1 << 20


def put_file(store: Any, path: str, digest: str) -> int:
    """Store a local file under ``digest`` through the store's verifying writer (the
    in-process client's upload); a blob already present is not written again."""
    if store.has(digest):
        return int(store.size(digest))
    w = store.writer(digest, max_size=1 << 62)
    try:
        with open(path, "rb", buffering=0) as fh:
            while chunk := fh.read(CHUNK):
                w.write(chunk)
    except BaseException:
        w.abort()
        raise
    return int(w.commit())
