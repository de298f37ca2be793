"""MLflow's artifact proxy re-hashes a whole file as it streams it: a damaged blob is
cut off short of its length, never finished with a good status."""

from __future__ import annotations

from pathlib import Path

import httpx
import mlflow
import pytest

from tests.corrupt import flip_byte, sha256

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_damaged_artifact_is_never_served_whole(mlflow_url: str, services,
                                                tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = bytes(range(256)) * 12_000  # 3 MiB: several chunks
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src))
    url = (f"{mlflow_url}/api/2.0/mlflow-artifacts/artifacts/"
           f"{run.info.experiment_id}/{run.info.run_id}/artifacts/big.bin")
    good = httpx.get(url)
    assert good.status_code == 200 and good.content == data

    flip_byte(services.settings.blob_root, sha256(data), offset=len(data) - 10)
    received = b""
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", url) as resp:
        assert resp.headers["content-length"] == str(len(data))
        for chunk in resp.iter_raw():
            received += chunk
    assert len(received) < len(data)

    dest = tmp_path / "down"
    dest.mkdir()
    with pytest.raises(Exception):  # noqa: B017 - mlflow's own error for a cut-off body
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="big.bin",
                                            dst_path=str(dest))
    assert not (dest / "big.bin").exists() or (dest / "big.bin").read_bytes() != data
