"""The Kubernetes manifests of the deployment recipe are valid against the Kubernetes
API schemas (kubernetes-validate ships them; strict: no unknown field), and say what
the recipe says: probes on /health and /ready, no secret value, non-root."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

RECIPE = Path(__file__).parents[2] / "deploy"
MANIFESTS = sorted((RECIPE / "k8s").glob("*.yaml"))


def _documents() -> list[dict]:
    return [doc for f in MANIFESTS for doc in yaml.safe_load_all(f.read_text()) if doc]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_valid_against_the_kubernetes_schemas(path: Path) -> None:
    version = kubernetes_validate.utils.latest_version()
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_refuses_a_wrong_manifest() -> None:
    doc = next(d for d in _documents() if d["kind"] == "Deployment")
    doc["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, kubernetes_validate.utils.latest_version(), strict=True)


def test_probes_and_no_secret_values() -> None:
    docs = _documents()
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "Job"} <= kinds and "Secret" not in kinds
    server = next(d for d in docs if d["kind"] == "Deployment")
    container = server["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {"secretRef": {"name": "modelyard-credentials"}} in container["envFrom"]
    assert server["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["MODELYARD_AUTO_MIGRATE"] == "false"  # the Job upgrades the schema
    assert not any(k.endswith(("PASSWORD", "SECRET_ACCESS_KEY", "TOKEN")) for k in config)
