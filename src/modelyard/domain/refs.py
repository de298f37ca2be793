"""Version references as users write them.

``fraud/3``, ``fraud@production``, ``fraud/latest``, ``fraud/Production`` (the latest
version in a stage), each also with a ``models:/`` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain.validation import check_int, is_ascii_int
from modelyard.errors import InvalidParameter


@dataclass(frozen=True)
class VersionRef:
    model: str
    version: int | None = None
    alias: str | None = None
    selector: str | None = None  # "latest" or a stage name

    def __str__(self) -> str:
        if self.alias:
            return f"{self.model}@{self.alias}"
        return f"{self.model}/{self.version if self.version is not None else self.selector}"


def parse_ref(text: object) -> VersionRef:
    if not isinstance(text, str) or not text:
        raise InvalidParameter("a version reference must be a non-empty string")
    body = text[len("models:/"):] if text.startswith("models:/") else text
    if "@" in body:
        model, _, alias = body.rpartition("@")
        if not model or not alias or "/" in alias:
            raise InvalidParameter(f"invalid version reference {text!r}; use name@alias")
        return VersionRef(model=model, alias=alias)
    model, sep, rest = body.rpartition("/")
    if not sep or not model or not rest:
        raise InvalidParameter(
            f"invalid version reference {text!r}; use name/<version>, name@<alias>, "
            "name/latest or name/<stage>")
    return ref_from_parts(model, rest)


def ref_from_parts(model: str, spec: str | int) -> VersionRef:
    if isinstance(spec, int) and not isinstance(spec, bool):
        return VersionRef(model=model, version=check_int(spec, "version"))
    spec = str(spec)
    if is_ascii_int(spec):
        return VersionRef(model=model, version=check_int(spec, "version"))
    if spec.startswith("@"):
        return VersionRef(model=model, alias=spec[1:])
    return VersionRef(model=model, selector=spec)
