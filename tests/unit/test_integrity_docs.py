"""docs/limits.md states the idempotency values the code uses."""

from __future__ import annotations

from pathlib import Path

from modelyard.domain import idempotency

ROOT = Path(__file__).resolve().parents[2]


def test_idempotency_values_are_documented():
    doc = (ROOT / "docs" / "limits.md").read_text()
    for name in ("MAX_KEY", "KEY_TTL_MS", "LEASE_MS"):
        assert f"`{name}` = {getattr(idempotency, name)}" in doc, name
    assert "IDEMPOTENCY_KEY_REUSED" in doc and "modelyard fsck" in doc
