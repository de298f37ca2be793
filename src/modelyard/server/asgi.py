"""The application a server process runs, built from settings it is handed.

``modelyard server`` gives each worker a :class:`ServerApp` holding the settings it
resolved (flags, environment, defaults) as an argument of the worker process, so a
worker reads no environment and cannot disagree with the process that started it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from modelyard.config import Settings
from modelyard.server.app import create_app


@dataclass(frozen=True)
class ServerApp:
    """A picklable app factory: uvicorn calls it once in each worker process."""

    settings: Settings

    def __call__(self) -> FastAPI:
        settings = self.settings
        hosts = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()]
        allowed = None if "*" in hosts else [settings.host, *hosts]
        return create_app(settings, allowed_hosts=allowed)
