"""Stage policy: which stages exist, which transitions are allowed, and what each
transition asks for (gates, approvals), plus the limits and protected aliases of a
project.

The default is what MLflow users expect: ``None``, ``Staging``, ``Production``,
``Archived``, any transition allowed, no gates.  A project may set its own policy
(:mod:`modelyard.domain.policies`); it is stored as the document the user wrote and
as plain data, which :func:`policy_from_data` turns into a :class:`StagePolicy`.
Stage names are matched case-insensitively and stored in their canonical spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelyard.domain.roles import Role, parse_role
from modelyard.domain.search import FieldSet, parse_filter
from modelyard.errors import InvalidParameter

# Where a value sits in the document: a path of keys and indexes -> its line (1-based).
LineMap = Mapping[tuple[str | int, ...], int]

GATE_FIELDS = FieldSet(
    attributes={"flavor": "flavor", "signature": "signature", "run_id": "run_id",
                "source_run": "run_id", "source": "source", "version": "version",
                "stage": "stage", "status": "status", "description": "description",
                "size": "size", "created_by": "created_by"},
    numeric=frozenset({"version", "size"}),
    kinds=frozenset({"tag", "metric"}),
)


@dataclass(frozen=True)
class Approvals:
    count: int
    role: Role = Role.MAINTAINER
    allow_requester: bool = False

    def describe(self) -> str:
        plural = "approval" if self.count == 1 else "approvals"
        return f"needs {self.count} {plural} from {self.role.label}"


@dataclass(frozen=True)
class TransitionRule:
    sources: tuple[str, ...]
    target: str
    gates: str | None = None
    approvals: Approvals | None = None
    archive_previous: bool = False


@dataclass(frozen=True)
class AliasRule:
    """Who may move a protected alias: holders of ``role`` (or above), or only the
    transition ``only_via`` (from, to) performing it."""

    role: Role | None = None
    only_via: tuple[str, str] | None = None


@dataclass(frozen=True)
class StagePolicy:
    stages: tuple[str, ...] = ("None", "Staging", "Production", "Archived")
    # (from, to) pairs; empty means every transition between known stages is allowed.
    transitions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    initial: str = "None"
    rules: tuple[TransitionRule, ...] = ()
    max_in_stage: Mapping[str, int] = field(default_factory=dict)
    protected_aliases: Mapping[str, AliasRule] = field(default_factory=dict)
    custom: bool = False

    def canonical(self, stage: object) -> str:
        if not isinstance(stage, str):
            raise InvalidParameter("stage must be a string")
        for known in self.stages:
            if known.lower() == stage.lower():
                return known
        raise InvalidParameter(f"unknown stage {stage!r}; stages are {', '.join(self.stages)}")

    def current(self, stage: str) -> str:
        """A version's stage under this policy; one the policy does not know (set under
        an earlier policy) counts as the initial stage."""
        for known in self.stages:
            if known.lower() == stage.lower():
                return known
        return self.initial

    def check_transition(self, current: str, target: str) -> None:
        if self.transitions and (current, target) not in self.transitions:
            raise InvalidParameter(f"transition {current} -> {target} is not allowed")

    def rule(self, current: str, target: str) -> TransitionRule:
        """The rule of ``current -> target``; refused when the policy allows no such move."""
        self.check_transition(current, target)
        for r in self.rules:
            if current in r.sources and r.target == target:
                return r
        return TransitionRule((current,), target)


DEFAULT_POLICY = StagePolicy()


def policy_from_data(data: object, lines: LineMap | None = None) -> StagePolicy:
    """A project policy from its plain data; every error names the line it is on
    (when ``lines`` says) and what is wrong."""
    return _Builder(lines or {}).build(data)


class _Builder:
    def __init__(self, lines: LineMap) -> None:
        self.lines = lines

    def fail(self, path: tuple[str | int, ...], message: str) -> InvalidParameter:
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return InvalidParameter(f"policy line {line}: {message}")
        return InvalidParameter(f"policy: {message}")

    def build(self, data: object) -> StagePolicy:
        if not isinstance(data, dict):
            raise self.fail((), "a policy is a mapping with 'stages' and 'transitions'")
        unknown = set(data) - {"stages", "initial", "transitions", "max_versions_in_stage",
                               "protected_aliases"}
        if unknown:
            key = sorted(map(str, unknown))[0]
            raise self.fail((key,), f"unknown key {key!r}")
        stages = self.stages(data.get("stages"))
        initial = self.stage(stages, data.get("initial", stages[0]), ("initial",))
        rules = self.rules(stages, data.get("transitions"))
        pairs = frozenset((s, r.target) for r in rules for s in r.sources)
        return StagePolicy(
            stages=stages, transitions=pairs, initial=initial, rules=rules,
            max_in_stage=self.limits(stages, data.get("max_versions_in_stage") or {}),
            protected_aliases=self.aliases(stages, pairs, data.get("protected_aliases") or {}),
            custom=True)

    def stages(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(("stages",), "'stages' must be a non-empty list of names")
        out: list[str] = []
        for i, s in enumerate(value):
            if not isinstance(s, str) or not s.strip() or len(s) > 64:
                raise self.fail(("stages", i), f"stage {s!r} must be a name of 1-64 characters")
            if s.lower() in (o.lower() for o in out):
                raise self.fail(("stages", i), f"stage {s!r} is listed twice")
            out.append(s)
        return tuple(out)

    def stage(self, stages: tuple[str, ...], value: object, path: tuple[str | int, ...]) -> str:
        for known in stages:
            if isinstance(value, str) and known.lower() == value.lower():
                return known
        raise self.fail(path, f"unknown stage {value!r}; stages are {', '.join(stages)}")

    def rules(self, stages: tuple[str, ...], value: object) -> tuple[TransitionRule, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(("transitions",), "'transitions' must be a non-empty list")
        return tuple(self.rule(stages, item, ("transitions", i)) for i, item in enumerate(value))

    def rule(self, stages: tuple[str, ...], item: object,
             path: tuple[str | int, ...]) -> TransitionRule:
        if not isinstance(item, dict) or "from" not in item or "to" not in item:
            raise self.fail(path, "a transition needs 'from' and 'to'")
        unknown = set(item) - {"from", "to", "gates", "approvals", "archive_previous"}
        if unknown:
            key = sorted(map(str, unknown))[0]
            raise self.fail(path + (key,), f"unknown key {key!r} in a transition")
        raw = item["from"] if isinstance(item["from"], list) else [item["from"]]
        sources = tuple(self.stage(stages, s, path + ("from",)) for s in raw)
        target = self.stage(stages, item["to"], path + ("to",))
        gates = item.get("gates")
        if gates is not None:
            if not isinstance(gates, str):
                raise self.fail(path + ("gates",), "'gates' must be a filter expression")
            try:
                parse_filter(gates, GATE_FIELDS)
            except InvalidParameter as exc:
                raise self.fail(path + ("gates",), f"gates: {exc}") from None
        archive = item.get("archive_previous", False)
        if not isinstance(archive, bool):
            raise self.fail(path + ("archive_previous",), "'archive_previous' must be true or false")
        return TransitionRule(sources, target, gates or None,
                              self.approvals(item.get("approvals"), path + ("approvals",)),
                              archive)

    def approvals(self, value: object, path: tuple[str | int, ...]) -> Approvals | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(path, "'approvals' must be a mapping with 'count'")
        count = value.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
            raise self.fail(path + ("count",), "approvals 'count' must be a number from 1 to 20")
        try:
            role = parse_role(value.get("role", "maintainer"))
        except InvalidParameter as exc:
            raise self.fail(path + ("role",), str(exc)) from None
        allow = value.get("allow_requester", False)
        if not isinstance(allow, bool):
            raise self.fail(path + ("allow_requester",), "'allow_requester' must be true or false")
        return Approvals(count, role, allow)

    def limits(self, stages: tuple[str, ...], value: object) -> dict[str, int]:
        path: tuple[str | int, ...] = ("max_versions_in_stage",)
        if not isinstance(value, dict):
            raise self.fail(path, "'max_versions_in_stage' maps stages to numbers")
        out = {}
        for k, n in value.items():
            stage = self.stage(stages, k, path + (k,))
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise self.fail(path + (k,), f"the limit of {stage} must be a number above 0")
            out[stage] = n
        return out

    def aliases(self, stages: tuple[str, ...], pairs: frozenset[tuple[str, str]],
                value: object) -> dict[str, AliasRule]:
        path: tuple[str | int, ...] = ("protected_aliases",)
        if not isinstance(value, dict):
            raise self.fail(path, "'protected_aliases' maps alias names to rules")
        out = {}
        for name, rule in value.items():
            where = path + (name,)
            if not isinstance(rule, dict) or len(rule) != 1 or not (
                    "role" in rule or "only_via_transition" in rule):
                raise self.fail(where, "a protected alias names one 'role' or "
                                       "'only_via_transition: from->to'")
            if "role" in rule:
                try:
                    out[str(name)] = AliasRule(role=parse_role(rule["role"]))
                except InvalidParameter as exc:
                    raise self.fail(where + ("role",), str(exc)) from None
                continue
            text = rule["only_via_transition"]
            parts = text.split("->") if isinstance(text, str) else []
            if len(parts) != 2:
                raise self.fail(where, "'only_via_transition' is written 'from->to'")
            via = (self.stage(stages, parts[0].strip(), where),
                   self.stage(stages, parts[1].strip(), where))
            if via not in pairs:
                raise self.fail(where, f"the policy has no transition {via[0]} -> {via[1]}")
            out[str(name)] = AliasRule(only_via=via)
        return out


def describe(policy: StagePolicy) -> dict[str, Any]:
    """The policy as plain data (what ``policy show`` prints when none is set)."""
    return {"stages": list(policy.stages), "initial": policy.initial,
            "transitions": [{"from": list(r.sources), "to": r.target} for r in policy.rules]
            or "any", "custom": policy.custom}
