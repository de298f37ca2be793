"""The factory uvicorn imports in each worker process."""

from __future__ import annotations

import os

from fastapi import FastAPI

from modelyard.config import Settings
from modelyard.server.app import create_app


def app() -> FastAPI:
    settings = Settings.load()
    # Beyond loopback the operator chose --insecure: any Host is accepted then.
    any_host = os.environ.get("MODELYARD_ALLOW_ANY_HOST") == "1"
    return create_app(settings, allowed_hosts=None if any_host else [settings.host])
