"""What single sign-on costs per request: ``GET /api/v1/whoami`` on a loopback server
with our own token, an OIDC JWT (RS256, verified on every request) and a session
cookie, plus the bare JWT verification.

    PYTHONPATH=src:. python benchmarks/sso_auth.py [--n 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from modelyard.config import Settings  # noqa: E402
from modelyard.domain.entities import ANONYMOUS  # noqa: E402
from modelyard.server.app import create_app  # noqa: E402
from modelyard.services import Services  # noqa: E402
from tests.live import LiveServer  # noqa: E402
from tests.oidc_provider import Provider  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    n = parser.parse_args().n
    provider = Provider().start()
    home = tempfile.mkdtemp()
    secret = Path(home) / "secret"
    secret.write_text(provider.client_secret)
    local = Services.from_settings(Settings.load({"home": home}, environ={}), upgrade=True)
    token = local.access.create_user(ANONYMOUS, "root", is_admin=True).token or ""
    local.close()
    settings = Settings.load({"home": home, "oidc_issuer": provider.url,
                              "oidc_client_id": provider.client_id,
                              "oidc_client_secret_file": str(secret),
                              "oidc_allow_loopback": True}, environ={})
    services = Services.from_settings(settings)
    app = create_app(settings, services)
    client = app.state.oidc
    jwt = provider.mint()
    client.verify(jwt)
    t = time.perf_counter()
    for _ in range(n * 5):
        client.verify(jwt)
    print(f"verify one RS256 JWT: {(time.perf_counter() - t) / (n * 5) * 1e6:.0f} us")
    server = LiveServer().start()
    server.switch.app = app
    with httpx.Client(base_url=server.url) as h:
        login = h.post("/auth/login", json={"token": token})
        cookie = login.cookies["modelyard_session"]
        cases = {"token": {"Authorization": f"Bearer {token}"},
                 "jwt": {"Authorization": f"Bearer {jwt}"},
                 "session cookie": {"Cookie": f"modelyard_session={cookie}"}}
        for name, headers in cases.items():
            for _ in range(20):
                assert h.get("/api/v1/whoami", headers=headers).status_code == 200
            times = []
            for _ in range(n):
                t = time.perf_counter()
                h.get("/api/v1/whoami", headers=headers)
                times.append(time.perf_counter() - t)
            print(f"whoami with {name}: median {statistics.median(times) * 1e3:.2f} ms "
                  f"over {n}")
    server.stop()
    services.close()
    provider.stop()


if __name__ == "__main__":
    main()
