"""A failed connection to the metadata database, said in one line a person can act on:
``cannot connect to PostgreSQL at db:5432: database "x" does not exist``; and a database
that refused a write for lack of space.

The driver's own text is matched, never shown whole: no SQLAlchemy wording, no URL, no
password reaches the message."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url

_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB",
          "sqlite": "SQLite"}
_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}

_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r'database "([^"]+)" does not exist'), 'database "{0}" does not exist'),
    (re.compile(r"Unknown database '([^']+)'"), 'database "{0}" does not exist'),
    (re.compile(r'role "([^"]+)" does not exist'), 'user "{0}" does not exist'),
    (re.compile(r'password authentication failed for user "([^"]+)"'),
     'wrong password for user "{0}"'),
    (re.compile(r"Access denied for user '([^']+)'"),
     'access denied for user "{0}"; check the user and password'),
    (re.compile(r"Connection refused"),
     "connection refused; is the database server running and listening there?"),
    (re.compile(r"(?i)timeout expired|timed out"), "timed out; is the host reachable?"),
    (re.compile(r"(?i)could not translate host name|Name or service not known|"
                r"Unknown MySQL server host|nodename nor servname"),
     "unknown host"),
]


def connect_failure(url: str, error: BaseException | None) -> str | None:
    """The one-line message for a connection failure, or None when ``error`` is not one."""
    if error is None:
        return None
    text = str(error)
    for pattern, template in _REASONS:
        found = pattern.search(text)
        if found:
            return f"cannot connect to {where(url)}: {template.format(*found.groups())}"
    return None


# What each driver raises when the database's disk is full: SQLite's SQLITE_FULL,
# PostgreSQL's SQLSTATE 53100 (disk_full), MySQL's ER_DISK_FULL and ER_RECORD_FILE_FULL
# ("the table is full"), and MySQL's file-write and storage-engine errors when the OS
# error they carry is 28 (ENOSPC).  Codes decide; of a message's text only the OS error
# number of those two MySQL errors is read (other messages can hold a user's values: a
# duplicate key's, a failing row's).
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"
_MYSQL_FULL = (1021, 1114)
_MYSQL_OS_ERROR = (3, 1030)  # "Error writing file .. (Errcode: 28 ..)", "Got error 28 .."
_ENOSPC = re.compile(r"(?:Errcode: |Got error )28\b")


def database_full(error: BaseException | None) -> bool:
    """Whether ``error`` (a driver's exception) says the database has no room left."""
    if error is None:
        return False
    if getattr(error, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    if getattr(error, "sqlstate", None) == _PG_DISK_FULL:
        return True
    args = getattr(error, "args", ())
    if not args or not isinstance(args[0], int):
        return False
    if args[0] in _MYSQL_FULL:
        return True
    return (args[0] in _MYSQL_OS_ERROR and len(args) > 1
            and bool(_ENOSPC.search(str(args[1]))))


def where(url: str) -> str:
    """``PostgreSQL at host:port`` (or the backend alone when the URL has no host)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparsable URL names no place
        return "the database"
    backend = parsed.get_backend_name()
    if url.startswith("mariadb"):
        backend = "mariadb"
    name = _NAMES.get(backend, backend)
    if not parsed.host:
        return name
    return f"{name} at {parsed.host}:{parsed.port or _PORTS.get(backend, '')}".rstrip(":")


_SQLITE_DUPLICATE = (1555, 2067)  # SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
_PG_DUPLICATE = "23505"
_MYSQL_DUPLICATE = (1062, 1586)


def duplicate_key(error: BaseException | None) -> bool:
    """Whether ``error`` (a driver's exception) is a unique key taken: a row another
    writer inserted at the same moment, where the statement did not expect one."""
    if error is None:
        return False
    if getattr(error, "sqlite_errorcode", None) in _SQLITE_DUPLICATE:
        return True
    if getattr(error, "sqlstate", None) == _PG_DUPLICATE:
        return True
    args: tuple[object, ...] = getattr(error, "args", ())
    return bool(args) and args[0] in _MYSQL_DUPLICATE
