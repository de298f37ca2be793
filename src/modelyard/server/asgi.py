"""The factory uvicorn imports in each worker process."""

from __future__ import annotations

from fastapi import FastAPI

from modelyard.config import Settings
from modelyard.server.app import create_app


def app() -> FastAPI:
    settings = Settings.load()
    hosts = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()]
    return create_app(settings, allowed_hosts=None if "*" in hosts else [settings.host, *hosts])
