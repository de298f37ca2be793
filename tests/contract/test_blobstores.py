"""Every blob store passes the same conformance suite: a local folder, and S3 (a real
moto server on loopback)."""

from __future__ import annotations

import pytest

from modelyard.artifacts.local import LocalBlobStore
from modelyard.testing.blobstore import BlobStoreContract


class TestLocal(BlobStoreContract):
    @pytest.fixture
    def blobs(self, tmp_path):
        return LocalBlobStore(str(tmp_path / "blobs"))


class TestS3(BlobStoreContract):
    @pytest.fixture
    def blobs(self, s3_url):
        from modelyard.artifacts.registry import open_blob_store

        return open_blob_store(s3_url)


def test_s3_url_options_validated():
    from modelyard.artifacts.s3 import S3BlobStore
    from modelyard.errors import InvalidParameter

    with pytest.raises(InvalidParameter):
        S3BlobStore.from_url("s3:///nobucket")
    with pytest.raises(InvalidParameter):
        S3BlobStore.from_url("s3://b/p?bogus=1")

