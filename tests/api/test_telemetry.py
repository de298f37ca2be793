"""FastAPI's own OpenTelemetry instrumentation (from release 0.16x on) records each
request's query string in its span and unhandled exceptions with their stack traces in
its logs, and counts requests by route and status in its metrics, as soon as an operator's instrumentation sets global providers. Signed part
URLs carry their capability in the query (``signature=``), names and filters come
there too, and tracebacks hold server paths and SQL, so the app turns it off: with
providers configured nothing reaches them. Run in a child process, as the providers
are global."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CANARY = "sig-canary-7d1e40"


def test_nothing_reaches_configured_providers(tmp_path: Path) -> None:
    pytest.importorskip("opentelemetry.sdk")
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("otel_app.py")),
                           str(tmp_path / "home"), CANARY],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert CANARY not in proc.stdout + proc.stderr
    assert seen == {"spans": [], "logs": [], "metrics": []}
