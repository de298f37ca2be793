"""Experiments, runs and metrics in the JSON shapes of MLflow's ``service.proto``.

Artifact locations are always the server's own (``mlflow-artifacts:/<experiment_id>``
and ``.../<run_id>/artifacts``): bytes go through the proxied artifact service into
the content-addressed store, whatever location a client asked for.
"""

from __future__ import annotations

import json
import math
from typing import Any

from modelyard.domain.entities import Experiment, Metric, Run
from modelyard.server.mlflow_compat.translate import tag_list

CONTEXT_TAG = "mlflow.data.context"


def number(value: float) -> float | str:
    """A double as protobuf's JSON writes it: NaN and the infinities are strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def experiment(e: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": f"mlflow-artifacts:/{e.experiment_id}",
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.created_at,
        "last_update_time": e.updated_at,
        "tags": tag_list(e.tags),
    }


def run_info(r: Run) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": r.run_id,
        "run_uuid": r.run_id,
        "run_name": r.run_name,
        "experiment_id": r.experiment_id,
        "user_id": r.user_id,
        "status": r.status,
        "start_time": r.start_time,
        "artifact_uri": f"mlflow-artifacts:/{r.experiment_id}/{r.run_id}/artifacts",
        "lifecycle_stage": r.lifecycle_stage,
    }
    if r.end_time is not None:
        out["end_time"] = r.end_time
    return out


def metric(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}


def run(r: Run, *, outputs: bool = True) -> dict[str, Any]:
    """A Run as MLflow writes it: ``inputs`` (datasets with their tags, schema and
    profile; the logged models read) and, but in create-run's answer, ``outputs``
    (the logged models produced); empty lists are left out, as protobuf's JSON does."""
    # Run.metrics holds the latest value of each key; MLflow's Run carries only those
    # too (the history is get-history's).
    inputs: dict[str, Any] = {}
    if r.inputs:
        inputs["dataset_inputs"] = [_dataset_input(i) for i in r.inputs]
    if r.model_inputs:
        inputs["model_inputs"] = [{"model_id": m} for m in r.model_inputs]
    out: dict[str, Any] = {
        "info": run_info(r),
        "data": {
            "metrics": [_latest(k, v, r.metric_at.get(k, (0, 0)))
                        for k, v in sorted(r.metrics.items())],
            "params": [{"key": k, "value": v} for k, v in sorted(r.params.items())],
            "tags": tag_list(r.tags),
        },
        "inputs": inputs,
    }
    if outputs:
        out["outputs"] = ({"model_outputs": [{"model_id": o["model_id"], "step": o["step"]}
                                             for o in r.model_outputs]}
                          if r.model_outputs else {})
    return out


def _latest(key: str, value: float, at: tuple[int, int]) -> dict[str, Any]:
    return {"key": key, "value": number(value), "timestamp": at[1], "step": at[0]}


def _dataset_input(item: dict[str, Any]) -> dict[str, Any]:
    tags = [{"key": CONTEXT_TAG, "value": item["context"]}] if item.get("context") else []
    tags += [{"key": k, "value": v} for k, v in sorted((item.get("tags") or {}).items())
             if k != CONTEXT_TAG]
    dataset: dict[str, Any] = {
        "name": item.get("name", ""),
        "digest": item.get("digest", ""),
        "source_type": item.get("source_type") or "",
        "source": item.get("source") or "",
    }
    schema, profile = _schema_and_profile(item.get("profile"))
    if schema:
        dataset["schema"] = schema
    if profile:
        dataset["profile"] = profile
    return {"tags": tags, "dataset": dataset}


def _schema_and_profile(stored: object) -> tuple[str, str]:
    """A dataset version's profile as MLflow's two strings: what ``log_input`` sent
    (``{"schema": "...", "profile": "..."}``) comes back as it was; a profile of
    our own is written as JSON, its ``schema`` apart."""
    if not isinstance(stored, dict) or not stored:
        return "", ""
    schema, profile = stored.get("schema"), stored.get("profile")
    if not isinstance(schema, str):
        schema = json.dumps(schema) if schema else ""
    if not isinstance(profile, str):
        rest = {k: v for k, v in stored.items() if k != "schema"}
        profile = json.dumps(profile if profile else rest) if (profile or rest) else ""
    return schema, profile


def dataset_inputs(items: list[Any]) -> list[dict[str, Any]]:
    """MLflow's DatasetInput objects -> the tracking service's dataset dicts."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        ds = dict(item.get("dataset") or {})
        context = next((t.get("value") for t in item.get("tags") or []
                        if isinstance(t, dict) and t.get("key") == CONTEXT_TAG), "")
        ds["context"] = context or ""
        tags = {t.get("key"): t.get("value") for t in item.get("tags") or []
                if isinstance(t, dict) and t.get("key") not in (None, CONTEXT_TAG)}
        out.append({"dataset": ds, "context": context or "", "tags": tags})
    return out
