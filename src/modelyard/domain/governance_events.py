"""Payloads of the governance events (their types are in
:class:`modelyard.domain.events.EventType`): a project's policy set or removed, and a
transition request opened, approved, rejected, cancelled or failed.  A request's
events are events of its version (``fraud/3``), so they follow the model."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain.events import E, Payload, _payload


@_payload(E.POLICY_SET)
@dataclass(frozen=True, slots=True)
class PolicySet(Payload):
    stages: list[str]


@_payload(E.POLICY_DELETED)
@dataclass(frozen=True, slots=True)
class PolicyDeleted(Payload):
    pass


@_payload(E.REQUEST_OPENED)
@dataclass(frozen=True, slots=True)
class RequestOpened(Payload):
    request_id: int
    from_stage: str
    to_stage: str
    needed: int
    role: str


@_payload(E.REQUEST_APPROVED)
@dataclass(frozen=True, slots=True)
class RequestApproved(Payload):
    request_id: int
    approvals: int
    needed: int
    performed: bool
    comment: str


@_payload(E.REQUEST_REJECTED)
@dataclass(frozen=True, slots=True)
class RequestRejected(Payload):
    request_id: int
    comment: str


@_payload(E.REQUEST_CANCELLED)
@dataclass(frozen=True, slots=True)
class RequestCancelled(Payload):
    request_id: int


@_payload(E.REQUEST_FAILED)
@dataclass(frozen=True, slots=True)
class RequestFailed(Payload):
    request_id: int
    reason: str
