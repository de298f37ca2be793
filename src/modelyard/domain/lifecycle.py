"""Stage policy: which stages exist and which transitions are allowed.

The default is what MLflow users expect: ``None``, ``Staging``, ``Production``,
``Archived``, any transition allowed.  Stage names are matched case-insensitively
and stored in their canonical spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelyard.errors import InvalidParameter


@dataclass(frozen=True)
class StagePolicy:
    stages: tuple[str, ...] = ("None", "Staging", "Production", "Archived")
    # (from, to) pairs; empty means every transition between known stages is allowed.
    transitions: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def canonical(self, stage: object) -> str:
        if not isinstance(stage, str):
            raise InvalidParameter("stage must be a string")
        for known in self.stages:
            if known.lower() == stage.lower():
                return known
        raise InvalidParameter(f"unknown stage {stage!r}; stages are {', '.join(self.stages)}")

    def check_transition(self, current: str, target: str) -> None:
        if self.transitions and (current, target) not in self.transitions:
            raise InvalidParameter(f"transition {current} -> {target} is not allowed")


DEFAULT_POLICY = StagePolicy()
