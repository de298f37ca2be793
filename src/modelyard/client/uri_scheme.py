"""The schemes a registry URI may have; anything else is refused with a hint rather than
read as a database."""

from __future__ import annotations

from modelyard.errors import InvalidParameter

HTTP_SCHEMES = ("http", "https")
FOLDER_SCHEMES = ("file",)
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


def check_scheme(uri: str) -> None:
    """Raise :class:`InvalidParameter` for ``htp://...`` and other unknown schemes."""
    if "://" not in uri:
        return
    scheme = uri.split("://", 1)[0]
    base = scheme.split("+", 1)[0].lower()
    if base not in HTTP_SCHEMES + FOLDER_SCHEMES + DATABASE_SCHEMES:
        raise InvalidParameter(f"unknown URI scheme {scheme!r}; use http://, https://, "
                               "a folder, or a database URL")
