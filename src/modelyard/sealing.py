"""Secrets the server must read back (a webhook's signing secret) are sealed at rest:
AES-256-GCM under a key kept outside the database, so a copy of the database (a dump,
a backup, a read replica) does not give them away.

The key is a file of 32 random bytes in base64: ``MODELYARD_SECRET_KEY_FILE``, by
default ``<home>/secret.key``.  The server makes the default file (mode 0600) when it
starts, and so does a client of the embedded default (the key lives beside the
database) when it first has a secret to seal; a client opening another database
directly only reads a key that exists, so it never makes one of its own.  Every server of one database needs the same key file.  A sealed
value names the key it was sealed with (the first bytes of its sha256), so a process
with another key says so instead of using garbage.  Values stored before sealing
existed are read as they are, and sealed when next set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from modelyard.errors import InvalidParameter

PREFIX = "sealed:v1:"


class UnsealError(Exception):
    """A sealed value that this key cannot open (another key, or damaged)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secret key must be 32 bytes")
        self._aead = AESGCM(key)
        self._key = key
        self.key_id = hashlib.sha256(key).hexdigest()[:8]

    def seal(self, plain: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), self.key_id.encode())
        return f"{PREFIX}{self.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def mac(self, purpose: bytes, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under a key derived from this one for ``purpose``."""
        return hmac.new(self._mac_key(purpose), data, hashlib.sha256).digest()

    def _mac_key(self, purpose: bytes) -> bytes:
        return hmac.new(self._key, b"modelyard-mac\x00" + purpose, hashlib.sha256).digest()

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


class KeyFile:
    """The box of a key file, read on first use (a missing file is an error that says
    which setting to give)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path, self.create = Path(path), create
        self._box: SecretBox | None = None
        self._lock = threading.Lock()

    def box(self) -> SecretBox:
        with self._lock:
            if self._box is None:
                if self.create:
                    ensure_key(self.path)
                self._box = _read(self.path)
            return self._box

    def seal(self, plain: str) -> str:
        return self.box().seal(plain)

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        try:
            box = self.box()
        except InvalidParameter as exc:
            raise UnsealError(exc.message) from None
        return box.open(stored)


def ensure_key(path: str | os.PathLike[str]) -> None:
    """Make the key file at ``path`` (0600, 32 random bytes) unless it exists.  It is
    written whole under a temporary name and linked into place, so two servers
    starting together agree on one key and neither reads a half-written file."""
    p = Path(path)
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, p)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
    finally:
        tmp.unlink(missing_ok=True)


def _read(p: Path) -> SecretBox:
    try:
        text = p.read_text().strip()
    except FileNotFoundError:
        raise InvalidParameter(
            "no secret key to seal or open stored secrets with: set "
            "MODELYARD_SECRET_KEY_FILE to the key file the servers use") from None
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise InvalidParameter(f"the secret key file {p.name} must hold 32 bytes in base64")
    return SecretBox(key)
