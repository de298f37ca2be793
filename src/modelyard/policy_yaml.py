"""Reading a project policy written in YAML, keeping each value's line so the
domain's validation errors can name it (``policy line 7: unknown stage 'prod'``).

The domain takes plain data and a line map; this is the one place YAML is parsed
(PyYAML's node marks give the lines)."""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidParameter

Path = tuple[str | int, ...]

MAX_POLICY_BYTES = 64 * 1024


def load_policy(source: str) -> tuple[Any, dict[Path, int]]:
    """(plain data, path -> line) of a YAML (or JSON) policy document."""
    if len(source.encode()) > MAX_POLICY_BYTES:
        raise InvalidParameter(f"a policy is at most {MAX_POLICY_BYTES} bytes")
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a dependency
        raise InvalidParameter("reading YAML policies needs pyyaml (pip install pyyaml)") from None
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        problem = getattr(exc, "problem", None) or "is not valid YAML"
        raise InvalidParameter(f"policy {where}: {problem}") from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    return _plain(node, (), lines), lines


def _plain(node: Any, path: Path, lines: dict[Path, int]) -> Any:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _plain(key_node, path, {})
            if not isinstance(key, (str, int)):
                raise InvalidParameter(f"policy line {key_node.start_mark.line + 1}: "
                                       "keys must be names")
            out[key] = _plain(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, path + (i,), lines) for i, item in enumerate(node.value)]
    return yaml.SafeLoader(b"").construct_object(node, deep=True)
