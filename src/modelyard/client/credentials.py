"""Tokens saved by ``modelyard login URL``: one JSON file in the user's config folder
(:func:`modelyard.config.config_dir_from_env`), mode 0600, mapping a registry URL to
its token.  ``MODELYARD_TOKEN`` wins over the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from modelyard.config import client_token_from_env, config_dir_from_env

FILE = "credentials.json"


def _path() -> Path:
    return config_dir_from_env() / FILE


def _key(url: str) -> str:
    return url.rstrip("/")


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def save_token(url: str, token: str) -> Path:
    """Store ``token`` for ``url``; the file is created with mode 0600 (never wider)."""
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = _load(path)
    data[_key(url)] = token
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def token_for(url: str) -> str | None:
    """The token to send to ``url``: ``MODELYARD_TOKEN``, else the one saved for it."""
    return client_token_from_env() or _load(_path()).get(_key(url))
