"""An SSO configuration counts as users for the refuse-to-start-beyond-loopback rule,
and the start-up line names the modes that are on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.live import free_port


def test_sso_counts_as_users_beyond_loopback(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--host", "0.0.0.0",
         "--port", str(port), "--home", str(tmp_path),
         "--trusted-proxy-header", "X-Forwarded-User", "--trusted-proxies", "127.0.0.1/32"],
        stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "serving on http://0.0.0.0" in line, line
        assert "auth: tokens and passwords required; single sign-on: trusted proxy" in line
    finally:
        proc.terminate()
        proc.wait(20)
