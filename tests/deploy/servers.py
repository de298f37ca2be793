"""Real ``modelyard server`` processes and Debian's nginx in front of them, for the
deployment recipe's tests."""

from __future__ import annotations

import re
import shutil
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live import free_port
from tests.services import unavailable

RECIPE = Path(__file__).parents[2] / "deploy"


def start_server(tmp_path: Path, db_url: str, artifacts: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
             "--home", str(tmp_path / f"home-{port}"), "--backend-store-uri", db_url,
             "--artifacts-uri", artifacts, "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=fh,
            # One key for every server of the database, as docs/deploy.md says.
            env={**os.environ, "MODELYARD_SECRET_KEY_FILE": str(tmp_path / "secret.key")})
    wait_ready(f"http://127.0.0.1:{port}", proc, log)
    return proc, port


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(url + "/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise AssertionError(log.read_text()[-3000:])
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def start_nginx(tmp_path: Path, upstream_ports: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    """nginx running ``deploy/nginx.conf`` as shipped, with only its listen port and
    upstream addresses changed; its access log records which upstream answered."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                       else None)
    if binary is None:
        unavailable("nginx (apt-get install nginx)", FileNotFoundError("nginx"))
    port = free_port()
    site = (RECIPE / "nginx.conf").read_text()
    site = re.sub(r"listen \d+;", f"listen 127.0.0.1:{port};", site)
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n"
                      for p in upstream_ports)
    site = re.sub(r"(upstream modelyard \{\n(?:    #[^\n]*\n)*)(    server [^\n]*\n)+",
                  lambda m: m.group(1) + servers, site)
    assert all(f"127.0.0.1:{p};" in site or f"127.0.0.1:{p} " in site for p in upstream_ports)
    prefix = tmp_path / "nginx"
    for d in ("logs", "tmp"):
        (prefix / d).mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(site)
    (prefix / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$status $upstream_addr $request_method $uri';
    access_log {prefix}/logs/access.log upstream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/site.conf;
}}
""")
    proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                             "-e", str(prefix / "logs" / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_ready(f"http://127.0.0.1:{port}", proc, prefix / "logs" / "error.log")
    return proc, port
