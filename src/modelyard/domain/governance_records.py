"""What governance hands out: a project's policy document, transition requests with
their decisions, and the history of alias moves.  Frozen, with JSON in and out like
the entities of :mod:`modelyard.domain.entities`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

from modelyard.domain.entities import _Wire
from modelyard.errors import InvalidParameter

OPEN, DONE, REJECTED, CANCELLED, FAILED = "open", "done", "rejected", "cancelled", "failed"
REQUEST_STATES = (OPEN, DONE, REJECTED, CANCELLED, FAILED)


@dataclass(frozen=True)
class PolicyDocument(_Wire):
    """A project's policy as the user wrote it (``source``) and as plain data."""

    project: str
    source: str
    data: dict[str, Any]
    updated_at: int = 0
    updated_by: str = ""


@dataclass(frozen=True)
class Decision(_Wire):
    user: str
    decision: str  # "approve" | "reject"
    comment: str = ""
    at: int = 0


@dataclass(frozen=True)
class TransitionRequest(_Wire):
    """A stage transition waiting for approvals.  ``needed`` approvals from holders of
    ``role``; ``blocked`` says why it is not performed yet (or why it failed)."""

    id: int
    model: str
    version: int
    from_stage: str
    to_stage: str
    status: str
    requester: str
    needed: int
    role: str
    allow_requester: bool = False
    comment: str = ""
    created_at: int = 0
    closed_at: int | None = None
    closed_by: str | None = None
    reason: str = ""
    decisions: list[Decision] = field(default_factory=list)

    @property
    def approvers(self) -> list[str]:
        return [d.user for d in self.decisions if d.decision == "approve"]

    @property
    def remaining(self) -> int:
        return max(0, self.needed - len(self.approvers))

    @property
    def blocked(self) -> str:
        if self.status != OPEN:
            return self.reason
        who = "" if self.allow_requester else f" other than {self.requester}"
        return f"waiting for {self.remaining} more approval(s) from {self.role}{who}"

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(approvers=self.approvers, remaining=self.remaining, blocked=self.blocked)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        data = dict(data)
        data["decisions"] = [Decision.from_dict(d) for d in data.get("decisions") or []]
        return super().from_dict(data)

    def summary(self) -> str:
        return f"request #{self.id} opened: needs {self.needed} " \
               f"approval{'s' if self.needed != 1 else ''} from {self.role}"


@dataclass(frozen=True)
class AliasMove(_Wire):
    """One holder of an alias: ``version`` from ``valid_from`` until ``valid_to`` (None:
    still), moved there by ``moved_by``, through ``request_id`` when a request did it."""

    model: str
    alias: str
    version: int
    valid_from: int
    valid_to: int | None = None
    moved_by: str = ""
    via: str = "set"
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewRequest:
    model_id: int
    version_id: int
    version: int
    from_stage: str
    to_stage: str
    requester: str
    needed: int
    role: str
    allow_requester: bool
    comment: str
    archive_existing: bool
    now: int


def time_ms(value: object) -> int:
    """A moment as ms since the epoch: an int, an aware ``datetime``, or ISO 8601 text
    (``2026-11-01T12:00:00Z``) or a string of digits (ms)."""
    if isinstance(value, bool):
        raise InvalidParameter("a time is an ISO 8601 string or ms since the epoch")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidParameter(f"time must be ISO 8601, not {value!r}") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidParameter("a time needs a time zone (e.g. a trailing Z)")
        return int(value.timestamp() * 1000)
    raise InvalidParameter("a time is an ISO 8601 string or ms since the epoch")
