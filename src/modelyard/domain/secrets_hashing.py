"""Credential hashing: passwords with argon2 (memory-hard, slow on purpose), token
secrets with sha256 (a random 256-bit secret needs no slow hash), compared in
constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "my"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_token() -> tuple[str, str]:
    """A fresh token: its id and the whole token ``my_<id>_<secret>`` (shown once)."""
    token_id = secrets.token_hex(8)
    return token_id, f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"


def split_token(token: str) -> tuple[str, str] | None:
    """``(id, sha256 of the token)`` of a well-formed token, else None."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or len(token_id) != 16 or not secret:
        return None
    if not all(c in "0123456789abcdef" for c in token_id):
        return None
    return token_id, sha256_hex(token)


def looks_like_token(text: str) -> bool:
    return split_token(text) is not None
