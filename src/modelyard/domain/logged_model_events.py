"""Payloads of logged-model events added after the catalogue in ``events.py`` (its
module is full): registered with it the same way."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain.events import E, Payload, _payload


@_payload(E.LOGGED_MODEL_PARAMS_LOGGED)
@dataclass(frozen=True, slots=True)
class LoggedModelParamsLogged(Payload):
    params: list[str]
