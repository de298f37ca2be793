"""The data the browser tests, the screenshots and the UI benchmark look at, made
through the SDK: a dataset, an experiment with runs (params, metric curves, notes,
artifacts), a model with versions registered from the runs and one derived version,
an alias and a stage."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Seeded:
    experiment_id: str
    run_ids: list[str]
    model: str
    versions: list[int]
    dataset: str


def png(width: int = 8, height: int = 6) -> bytes:
    """A small valid PNG (a gradient), made here: no image library needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 30 % 256, y * 40 % 256, 128)) for x in range(width))
        for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def seed(client: Any, tmp: Path, *, model: str = "fraud-detector", runs: int = 3,
         steps: int = 200) -> Seeded:
    data = tmp / "seed-data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "train.csv").write_text("amount,label\n" + "".join(
        f"{i * 1.5:.1f},{i % 2}\n" for i in range(50)))
    exp = client.create_experiment("fraud-training")
    eid = exp.experiment_id
    run_ids, versions = [], []
    for i in range(runs):
        run = client.create_run(eid, run_name=f"train-{i + 1}")
        rid = run.run_id
        client.log_params(rid, {"max_depth": 4 + 2 * i, "learning_rate": 0.1 / (i + 1),
                                "optimizer": "adam"})
        lr = 0.03 * (i + 1)
        client.log_batch(rid, metrics=[
            {"key": "loss", "value": 2.0 * math.exp(-lr * s) + 0.05 * math.sin(s / 3),
             "step": s, "timestamp": 1_700_000_000_000 + s}
            for s in range(steps)] + [
            {"key": "val_loss", "value": 2.2 * math.exp(-lr * s * 0.8) + 0.1,
             "step": s, "timestamp": 1_700_000_000_000 + s} for s in range(0, steps, 5)] + [
            {"key": "auc", "value": 0.80 + 0.05 * i, "step": steps, "timestamp": 1_700_000_100_000}])
        client.set_run_note(rid, f"# Run {i + 1}\n\nTrained with **depth {4 + 2 * i}**.\n\n"
                                 "<script>alert('x')</script>")
        art = tmp / f"artifacts-{i}"
        art.mkdir(exist_ok=True)
        (art / "report.txt").write_text(f"run {i + 1}: auc {0.80 + 0.05 * i:.2f}\n")
        (art / "confusion.csv").write_text("actual,predicted,count\n0,0,40\n0,1,3\n1,1,7\n")
        (art / "page.html").write_text("<script>document.title='pwned'</script>")
        (art / "roc.png").write_bytes(png())
        client.log_artifacts(rid, art, "reports")
        if i == 0:
            client.log_dataset(data, "transactions", run_id=rid)
        mdir = tmp / f"model-{i}"
        (mdir / "weights").mkdir(parents=True, exist_ok=True)
        (mdir / "MLmodel").write_text("flavor: test\n")
        (mdir / "weights" / "w.bin").write_bytes(bytes([i]) * (1000 + i))
        v = client.log_model_dir(rid, mdir, model, artifact_path="model")
        versions.append(v.version)
        run_ids.append(rid)
    client.update_model(model, "Scores card **transactions** for fraud.\n\n"
                               "- trained nightly\n- owner: risk team\n\n"
                               "<img src=x onerror=alert(1)>")
    client.set_model_tag(model, "team", "risk")
    derived = tmp / "model-derived"
    (derived / "weights").mkdir(parents=True, exist_ok=True)
    (derived / "MLmodel").write_text("flavor: test\n")
    (derived / "weights" / "w.bin").write_bytes(b"d" * 900)
    v = client.register(model, derived, parents=[f"{model}/{versions[-1]}"], signature={
        "inputs": [{"name": "amount", "type": "double"}, {"name": "country", "type": "string"}],
        "outputs": [{"name": "score", "type": "double"}]})
    versions.append(v.version)
    client.set_alias(model, "champion", versions[-2])
    client.transition_stage(model, versions[-2], "Production")
    return Seeded(eid, run_ids, model, versions, "transactions")
