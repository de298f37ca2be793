"""Secrets the server must read back (a webhook's signing secret) are sealed at rest:
AES-256-GCM under a key kept outside the database, so a copy of the database (a dump,
a backup, a read replica) does not give them away.

The key is a file of 32 random bytes in base64: ``--secret-key-file``, by default
``<home>/secret.key``, made (mode 0600) on first start.  Every server of one database
needs the same key file.  A sealed value names the key it was sealed with (the first
bytes of its sha256), so a server with another key says so instead of using garbage.
Values stored before sealing existed are read as they are, and sealed when next set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"


class UnsealError(Exception):
    """A sealed value that this key cannot open (another key, or damaged)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secret key must be 32 bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).hexdigest()[:8]

    def seal(self, plain: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), self.key_id.encode())
        return f"{PREFIX}{self.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # stored before sealing existed
        key_id, _, body = stored[len(PREFIX):].partition(":")
        if key_id != self.key_id:
            raise UnsealError("sealed with another secret key")
        try:
            raw = base64.b64decode(body, validate=True)
            return self._aead.decrypt(raw[:12], raw[12:], key_id.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise UnsealError("the sealed value is damaged") from None


def load_key(path: str | os.PathLike[str]) -> SecretBox:
    """The box of the key file at ``path``, made (0600, 32 random bytes) if absent; two
    processes starting together agree on one key (exclusive create, then read)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    text = p.read_text().strip()
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise ValueError(f"the secret key file {p.name} must hold 32 bytes in base64")
    return SecretBox(key)
