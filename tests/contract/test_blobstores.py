"""Every blob store passes the same conformance suite: a local folder, S3 (a real moto
server on loopback), Google Cloud Storage (gcp-storage-emulator) and Azure Blob
(Azurite), each emulator started by the fixtures."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from modelyard.artifacts.local import LocalBlobStore
from modelyard.testing.blobstore import BlobStoreContract
from modelyard.testing.blobstore_multipart import MultipartContract


class TestLocal(BlobStoreContract, MultipartContract):
    @pytest.fixture
    def blobs(self, tmp_path):
        return LocalBlobStore(str(tmp_path / "blobs"))


class TestS3(BlobStoreContract, MultipartContract):
    @pytest.fixture
    def blobs(self, s3_url):
        from modelyard.artifacts.registry import open_blob_store

        return open_blob_store(s3_url)


class TestGCS(BlobStoreContract, MultipartContract):
    @pytest.fixture
    def blobs(self, gcs_url):
        from modelyard.artifacts.registry import open_blob_store

        return open_blob_store(gcs_url)


class TestAzure(BlobStoreContract, MultipartContract):
    @pytest.fixture
    def blobs(self, azure_url):
        from modelyard.artifacts.registry import open_blob_store

        return open_blob_store(azure_url)


def test_s3_url_options_validated():
    from modelyard.artifacts.s3 import S3BlobStore
    from modelyard.errors import InvalidParameter

    with pytest.raises(InvalidParameter):
        S3BlobStore.from_url("s3:///nobucket")
    with pytest.raises(InvalidParameter):
        S3BlobStore.from_url("s3://b/p?bogus=1")
    with pytest.raises(InvalidParameter):
        S3BlobStore.from_url("s3://b/p?listing=maybe")
    assert S3BlobStore.from_url("s3://b/p?listing=off&region=us-east-1").list_page_size == 0
    assert S3BlobStore.from_url("s3://b/p?region=us-east-1").list_page_size == 1000



@pytest.mark.parametrize("known", [True, False])
@pytest.mark.parametrize("kind", ["gcs", "azure"])
def test_many_parts(kind, known, request):
    """More parts than one GCS compose call takes (32): composed as a tree; on Azure,
    as many staged blocks.  Small parts make it quick."""
    from modelyard.artifacts.registry import open_blob_store

    store = open_blob_store(request.getfixturevalue(f"{kind}_url"))
    store.part_size = 64 * 1024
    data = os.urandom(70 * 64 * 1024 + 11)
    digest = hashlib.sha256(data).hexdigest()
    w = store.writer(digest if known else None, 1 << 30)
    for i in range(0, len(data), 50_000):
        w.write(data[i:i + 50_000])
    assert w.commit(len(data)) == len(data)
    assert b"".join(store.read_chunks(digest)) == data
    assert b"".join(store.read_chunks(digest, 100_000, 300_000)) == data[100_000:300_000]
    assert [d for d, _ in store.iter_blobs()] == [digest]
    assert store.sweep_temp(time.time() + 60) == (0, 0)


def test_gcs_and_azure_url_options_validated(monkeypatch):
    from modelyard.artifacts.azure import AzureBlobStore
    from modelyard.artifacts.gcs import GCSBlobStore
    from modelyard.errors import InvalidParameter

    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING", raising=False)
    for bad in ("gs:///nobucket", "gs://b/p?bogus=1"):
        with pytest.raises(InvalidParameter):
            GCSBlobStore.from_url(bad)
    for bad in ("azure:///nocontainer", "azure://c/p?bogus=1", "azure://c/p"):
        with pytest.raises(InvalidParameter):
            AzureBlobStore.from_url(bad)
