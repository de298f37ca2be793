"""Validation of every name, key, value and path that comes from a user.

Rules refuse; they never "clean up" input (a cleaned path is a path the user did not
ask for).  Limits are documented in ``docs/limits.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

from modelyard.domain.entities import FileEntry
from modelyard.errors import InvalidParameter

MAX_NAME = 256
MAX_TAG_KEY = 250
MAX_TAG_VALUE = 5000
MAX_DESCRIPTION = 65536
MAX_PATH = 1024
MAX_PATH_DEPTH = 64
MAX_FILES = 100_000
MAX_FLAVOR = 64
# Every integer stored goes into a signed 64-bit column on every database.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_ASCII_INT = re.compile(r"[-+]?[0-9]+")
_ASCII_UINT = re.compile(r"[0-9]+")
_DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
_ALIAS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,254}$")
_RESERVED_ALIAS = re.compile(r"^(v\d+|latest)$", re.IGNORECASE)


def _has_control(text: str) -> bool:
    if text.isascii():  # the usual name: ASCII's only such characters are Cc, unprintable
        return not text.isprintable()
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text)


def _has_surrogate(text: str) -> bool:
    """A lone surrogate (JSON allows ``"\\ud800"``) is no character: no database can
    store it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_name(value: object, what: str = "name") -> str:
    """A model, project or experiment name: 1-256 printable characters, no '/' or '@',
    no white space at either end.  Returns the name in NFC, the form it is stored in (so
    'é' typed precomposed or decomposed is one name); look-alikes of other names are
    refused where names are created (:mod:`modelyard.domain.names`)."""
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a string")
    if _has_surrogate(value):
        raise InvalidParameter(f"{what} must not contain lone surrogates")
    value = unicodedata.normalize("NFC", value)
    if not value or not value.strip():
        raise InvalidParameter(f"{what} must not be empty")
    if len(value) > MAX_NAME:
        raise InvalidParameter(f"{what} is longer than {MAX_NAME} characters")
    if _has_control(value):
        raise InvalidParameter(f"{what} must not contain control characters")
    if value != value.strip():
        raise InvalidParameter(f"{what} must not start or end with white space")
    if "/" in value or "@" in value or "\\" in value:
        raise InvalidParameter(f"{what} must not contain '/', '\\' or '@': {value!r}")
    if value in (".", ".."):
        raise InvalidParameter(f"{what} must not be '.' or '..'")
    return value


def nfc(name: object) -> object:
    """A name as looked up: in NFC, as names are stored (anything else unchanged)."""
    return unicodedata.normalize("NFC", name) if isinstance(name, str) else name


def check_alias(value: object) -> str:
    if not isinstance(value, str) or not _ALIAS_RE.match(value):
        raise InvalidParameter(
            f"alias must start with a letter or '_' and hold only letters, digits, '_' "
            f"and '-' (at most 255): {value!r}"
        )
    if _RESERVED_ALIAS.match(value):
        raise InvalidParameter(f"alias {value!r} is reserved ('latest' and 'v<number>')")
    return value


def check_tag(key: object, value: object, max_value: int = MAX_TAG_VALUE) -> tuple[str, str]:
    if not isinstance(key, str) or not key:
        raise InvalidParameter("tag key must be a non-empty string")
    if len(key) > MAX_TAG_KEY:
        raise InvalidParameter(f"tag key is longer than {MAX_TAG_KEY} characters")
    if _has_control(key):
        raise InvalidParameter("tag key must not contain control characters")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidParameter(f"tag {key!r}: value must be a string")
    if len(value) > max_value:
        raise InvalidParameter(f"tag {key!r}: value is longer than {max_value} characters")
    if "\x00" in value or _has_surrogate(value):
        raise InvalidParameter(f"tag {key!r}: value must not contain NUL or lone surrogates")
    return key, value


def check_tags(tags: object) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidParameter("tags must be an object of string keys and values")
    return dict(check_tag(k, v) for k, v in tags.items())


def check_description(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter("description must be a string")
    if len(value) > MAX_DESCRIPTION:
        raise InvalidParameter(f"description is longer than {MAX_DESCRIPTION} characters")
    if "\x00" in value or _has_surrogate(value):
        raise InvalidParameter("description must not contain NUL or lone surrogates")
    return value


def check_text(value: object, what: str, limit: int) -> str:
    """A free-text field of at most ``limit`` characters without NUL; None is empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a string")
    if len(value) > limit or "\x00" in value or _has_surrogate(value):
        raise InvalidParameter(f"{what} must be at most {limit} characters, without NUL")
    return value


def check_digest(value: object) -> str:
    if not isinstance(value, str) or not _DIGEST_RE.match(value):
        raise InvalidParameter(f"not a sha256 digest (64 lower-case hex digits): {value!r}")
    return value


def check_relpath(value: object) -> str:
    """A file path inside a manifest: relative, POSIX, no '..', '.', empty parts,
    backslashes, control characters or NUL, and no percent-encoded form of those."""
    if not isinstance(value, str) or not value:
        raise InvalidParameter("file path must be a non-empty string")
    if len(value) > MAX_PATH:
        raise InvalidParameter(f"file path is longer than {MAX_PATH} characters")
    decoded = value
    for _ in range(5):  # decode until stable, then check every form
        _check_path_form(value, decoded)
        nxt = unquote(decoded)
        if nxt == decoded:
            break
        decoded = nxt
    else:
        raise InvalidParameter(f"file path is encoded too many times: {value!r}")
    return value


def _check_path_form(original: str, form: str) -> None:
    bad = f"invalid file path {original!r}"
    if "\x00" in form or _has_control(form):
        raise InvalidParameter(f"{bad}: control characters are not allowed")
    if "\\" in form:
        raise InvalidParameter(f"{bad}: backslashes are not allowed")
    if form.startswith("/") or re.match(r"^[A-Za-z]:", form):
        raise InvalidParameter(f"{bad}: the path must be relative")
    parts = form.split("/")
    if len(parts) > MAX_PATH_DEPTH:
        raise InvalidParameter(f"{bad}: deeper than {MAX_PATH_DEPTH} folders")
    for part in parts:
        if part in ("", ".", ".."):
            raise InvalidParameter(f"{bad}: empty, '.' and '..' parts are not allowed")


def is_ascii_int(text: object, *, signed: bool = False) -> bool:
    """Whether ``text`` is a string of ASCII digits (with an optional sign when
    ``signed``).  ``str.isdigit`` also accepts '²' and other Unicode digits that
    ``int()`` refuses, so it is never the test for a number."""
    pattern = _ASCII_INT if signed else _ASCII_UINT
    return isinstance(text, str) and pattern.fullmatch(text) is not None


def check_int(value: object, what: str, *, minimum: int = INT64_MIN,
              maximum: int = INT64_MAX) -> int:
    """The one rule for an integer from a request: an int, an integral float or a
    string of ASCII digits, within ``minimum``..``maximum`` (by default the range of
    a signed 64-bit column).  Anything else is a 400 naming the field."""
    if type(value) is int and minimum <= value <= maximum:  # the usual case, first
        return value
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and is_ascii_int(value.strip(), signed=True):
        number = int(value.strip())
    if number is None:
        raise InvalidParameter(f"{what} must be an integer, not {_show(value)}")
    if number < minimum or number > maximum:
        raise InvalidParameter(f"{what} must be between {minimum} and {maximum}")
    return number


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: The largest page of a search; experiments and runs, which the mlflow client pages
#: through in 1,000s by default, take larger pages.
MAX_PAGE = 10_000
MAX_TRACKING_PAGE = 50_000


def check_max_results(value: object, default: int = 100, limit: int = MAX_PAGE) -> int:
    if value is None:
        return default
    return check_int(value, "max_results", minimum=1, maximum=limit)


def check_manifest(files: Iterable[object]) -> list[FileEntry]:
    """Validate a manifest sent by a client: paths, digests, sizes, no duplicates."""
    if not isinstance(files, (list, tuple)):
        raise InvalidParameter("files must be a list of {path, size, sha256} objects")
    out: list[FileEntry] = []
    seen: set[str] = set()
    for item in files:
        if isinstance(item, FileEntry):
            entry = item
            check_relpath(entry.path)
            check_digest(entry.sha256)
        elif isinstance(item, dict):
            size = item.get("size")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise InvalidParameter(f"file size must be a non-negative integer: {size!r}")
            entry = FileEntry(path=check_relpath(item.get("path")), size=size,
                              sha256=check_digest(item.get("sha256")))
        else:
            raise InvalidParameter("each file must be an object with path, size and sha256")
        if entry.path in seen:
            raise InvalidParameter(f"file {entry.path!r} is listed twice")
        seen.add(entry.path)
        out.append(entry)
        if len(out) > MAX_FILES:
            raise InvalidParameter(f"a manifest holds at most {MAX_FILES} files")
    return out


# -- experiment tracking -------------------------------------------------------------
MAX_PARAM_KEY = 250
MAX_PARAM_VALUE = 6000  # as MLflow
MAX_RUN_TAG_VALUE = 8000  # as MLflow
MAX_METRIC_KEY = 250


def check_param(key: object, value: object) -> tuple[str, str]:
    """A run parameter: key as a tag key, value a string of at most 6000 characters.
    Numbers and booleans are turned into strings (the SDK logs them that way)."""
    if isinstance(value, (bool, int, float)) and not isinstance(value, str):
        value = str(value)
    try:
        return check_tag(key, value, MAX_PARAM_VALUE)
    except InvalidParameter as exc:
        raise InvalidParameter(str(exc).replace("tag", "param", 1)) from None


def check_run_tag(key: object, value: object) -> tuple[str, str]:
    return check_tag(key, value, MAX_RUN_TAG_VALUE)


MAX_RUN_NAME = 250


def check_run_name(name: str) -> str:
    """A run's name: a run tag's value (``mlflow.runName``) of at most 250 characters."""
    check_run_tag("mlflow.runName", name)
    if len(name) > MAX_RUN_NAME:
        raise InvalidParameter(f"run name is longer than {MAX_RUN_NAME} characters")
    return name


def check_metric_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidParameter("metric key must be a non-empty string")
    if len(key) > MAX_METRIC_KEY:
        raise InvalidParameter(f"metric key is longer than {MAX_METRIC_KEY} characters")
    if _has_control(key):
        raise InvalidParameter("metric key must not contain control characters")
    return key
