"""Prompts: registered models that hold prompt templates (MLflow 3's prompt registry).

MLflow's client builds its prompt registry on the registry endpoints: a prompt is a
registered model tagged ``mlflow.prompt.is_prompt = true``, each prompt version a
model version holding its template in the tag ``mlflow.prompt.text``.  They are
stored as any model is, and told apart by that tag: a model's ``kind`` is
``prompt`` or ``model``.  Searches of models show models only unless asked for
prompts (``kind``), as MLflow's searches leave prompts out unless the filter asks
for them; ``kind`` is also an attribute of the filter language (``kind = 'prompt'``).
"""

from __future__ import annotations

from modelyard.domain.search import And, Compare, Field, Node, Or
from modelyard.domain.validation import MAX_TAG_VALUE, check_tag, check_tags
from modelyard.errors import InvalidParameter

PROMPT_TAG = "mlflow.prompt.is_prompt"
PROMPT_TEXT_TAG = "mlflow.prompt.text"
#: A prompt template may be longer than other tag values (5,000 characters): up to
#: 16,000, which at 4 bytes a character still fits a TEXT column on MySQL (64 KiB).
#: MLflow allows registry tag values of 100,000 characters.
MAX_PROMPT_TEXT = 16_000
KINDS = ("model", "prompt")
#: The source a prompt version is created with (it has no files): the placeholders
#: MLflow's client and store send; MLflow's server refuses any other.
PROMPT_SOURCES = frozenset({"dummy-source", "prompt-template"})


def is_prompt(tags: dict[str, str]) -> bool:
    return tags.get(PROMPT_TAG, "").lower() == "true"


def check_kind(kind: object) -> str | None:
    """``model``, ``prompt``, or None for both (also spelled ``all``)."""
    if kind is None or kind == "all":
        return None
    if kind not in KINDS:
        raise InvalidParameter(f"kind must be one of {', '.join(KINDS)} or all, not {kind!r}")
    return str(kind)


def with_kind(node: Node | None, kind: str | None) -> Node | None:
    """``node`` narrowed to models of ``kind`` (unchanged for None, or when the filter
    names ``kind`` itself: then it decides)."""
    if kind is None or _names_kind(node):
        return node
    clause = Compare(Field("attr", "kind"), "=", kind)
    return clause if node is None else And((node, clause))


def tag_limit(key: str) -> int:
    """The longest value a version tag ``key`` may hold."""
    return MAX_PROMPT_TEXT if key == PROMPT_TEXT_TAG else MAX_TAG_VALUE


def check_version_tags(tags: object) -> dict[str, str]:
    if isinstance(tags, dict) and PROMPT_TEXT_TAG in tags:
        return dict(check_tag(k, v, tag_limit(k)) for k, v in tags.items())
    return check_tags(tags)


def _names_kind(node: Node | None) -> bool:
    if isinstance(node, (And, Or)):
        return any(_names_kind(n) for n in node.items)
    return isinstance(node, Compare) and node.field == Field("attr", "kind")
