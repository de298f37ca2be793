"""Screenshots of the web UI's main pages into docs/ui/ (shown in the README):
`python scripts/ui_screenshots.py`, and `--dark --only version run compare` for the
dark ones the README shows.

Reuses the browser tests' setup: a fresh store in a temporary folder, the seed data
made through the SDK (tests/ui/seed.py), the live loopback server of the tests, and
Debian's chromium driven by Playwright.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from modelyard.client.http import HttpClient  # noqa: E402
from modelyard.config import Settings  # noqa: E402
from modelyard.server.app import create_app  # noqa: E402
from modelyard.services import Services  # noqa: E402
from tests.live import LiveServer  # noqa: E402
from tests.ui.conftest import CHROMIUM  # noqa: E402
from tests.ui.seed import seed  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "docs" / "ui"), help="folder for the PNGs")
    ap.add_argument("--dark", action="store_true", help="the dark theme")
    ap.add_argument("--only", nargs="*", default=None, help="these pages only (names)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        settings = Settings.load({"home": str(t / "home"),
                                  "backend_store_uri": f"sqlite:///{t / 'meta.db'}"}, environ={})
        services = Services.from_settings(settings, upgrade=True)
        server = LiveServer().start()
        server.switch.app = create_app(settings, services)
        try:
            with HttpClient(server.url) as client:
                data = seed(client, t)
            pages = {
                "models": "/models",
                "model": f"/models/{data.model}",
                "version": f"/models/{data.model}/versions/{data.versions[-2]}",
                "diff": f"/models/{data.model}/diff",
                "experiment": f"/experiments/{data.experiment_id}",
                "run": f"/runs/{data.run_ids[0]}",
                "compare": "/compare?" + "&".join(f"run={r}" for r in data.run_ids),
                "dataset": f"/datasets/{data.dataset}",
                "audit": "/audit",
            }
            suffix = "-dark" if args.dark else ""
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},
                                          color_scheme="dark" if args.dark else "light")
                page = ctx.new_page()
                for name, path in pages.items():
                    if args.only and name not in args.only:
                        continue
                    page.goto(path)
                    target = out / f"{name}{suffix}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                browser.close()
        finally:
            server.stop()
            services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
