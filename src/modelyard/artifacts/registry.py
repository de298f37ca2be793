"""Blob store by URL scheme.  Built-ins are imported lazily; plugins register through
the ``modelyard.blob_stores`` entry-point group (a factory taking the URL)."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from modelyard.errors import InvalidParameter


def _local(url: str) -> Any:
    from modelyard.artifacts.local import LocalBlobStore

    return LocalBlobStore(url[len("file://"):] if url.startswith("file://") else url)


def _s3(url: str) -> Any:
    from modelyard.artifacts.s3 import S3BlobStore

    return S3BlobStore.from_url(url)


def _gcs(url: str) -> Any:
    from modelyard.artifacts.gcs import GCSBlobStore

    return GCSBlobStore.from_url(url)


def _azure(url: str) -> Any:
    from modelyard.artifacts.azure import AzureBlobStore

    return AzureBlobStore.from_url(url)


BUILTIN: dict[str, Callable[[str], Any]] = {"file": _local, "s3": _s3, "gs": _gcs,
                                            "azure": _azure}


def open_blob_store(url: str) -> Any:
    scheme = url.split("://", 1)[0] if "://" in url else "file"
    factory = BUILTIN.get(scheme)
    if factory is None:
        for ep in entry_points(group="modelyard.blob_stores"):
            if ep.name == scheme:
                factory = ep.load()
                break
    if factory is None:
        raise InvalidParameter(f"no blob store for scheme {scheme!r}")
    return factory(url)
