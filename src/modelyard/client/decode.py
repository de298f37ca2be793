"""Response bodies into domain records, typed (the REST client's one decoding step)."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar


class _FromDict(Protocol):
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any: ...


T = TypeVar("T", bound=_FromDict)


def decode(cls: type[T], data: dict[str, Any]) -> T:
    record: T = cls.from_dict(data)
    return record
