"""What a registry URI names, checked before anything is opened.

``host:port`` without a scheme is refused with the ``http://`` form it most likely
meant (it would otherwise be a folder named ``127.0.0.1:5000``).  A local registry (a
folder, ``file://`` or ``sqlite:///``) exists when its database file does; a caller
that only reads refuses to create one.
"""

from __future__ import annotations

import re
from pathlib import Path

from modelyard.errors import InvalidParameter

__all__ = ["check_uri", "is_http", "local_database"]

#: ``localhost:5000``, ``127.0.0.1:5733/``, ``[::1]:8080``, ``registry.example:443/x``
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*):\d{1,5}(/.*)?$")


def is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def check_uri(uri: str) -> None:
    """Refuse a URI that is certainly a typo."""
    if _HOST_PORT.match(uri):
        raise InvalidParameter(f"{uri!r} has no scheme; to reach a server use "
                               f"http://{uri.rstrip('/')}")


def local_database(uri: str) -> Path | None:
    """The SQLite file a local registry URI stands for (None: a server database, or
    an in-memory one)."""
    if is_http(uri):
        return None
    if uri.startswith("sqlite:///"):
        rest = uri[len("sqlite:///"):].partition("?")[0]
        return Path(rest).expanduser() if rest and rest != ":memory:" else None
    if "://" in uri and not uri.startswith("file://"):
        return None
    folder = uri[len("file://"):] if uri.startswith("file://") else uri
    return Path(folder).expanduser() / "modelyard.db"


def looks_like_path(ref: str) -> bool:
    """Whether a model reference is meant as a folder: it starts with ``./``, ``../``,
    ``/`` or ``~``, or it holds a path separator and is not a valid reference."""
    from modelyard.domain.refs import parse_ref

    if ref.startswith("models:/"):
        return False
    if ref.startswith(("./", "../", "/", "~", ".\\", "..\\")) or ref in (".", ".."):
        return True
    if "\\" in ref:
        return True
    if "/" not in ref:
        return False
    try:
        parse_ref(ref)
    except InvalidParameter:
        return True
    return False


def check_folder_target(ref: str) -> None:
    """A reference that looks like a path must be an existing folder."""
    if looks_like_path(ref) and not Path(ref).expanduser().is_dir():
        from modelyard.errors import NotFound

        raise NotFound(f"no such folder: {ref}")
