"""The filter language shared by every search, parsed into a small AST (no SQL here).

Grammar::

    expr    := term (OR term)*
    term    := factor (AND factor)*
    factor  := '(' expr ')' | compare
    compare := field op value
             | field [NOT] IN '(' value (',' value)* ')'
             | field IS [NOT] NULL
    field   := name | prefix '.' key      prefix: tags/tag, params/param, metrics/metric,
                                           attributes/attribute/attr
    key     := word | `back quoted` | "double quoted"
    op      := = | != | <> | < | <= | > | >= | [NOT] LIKE | [NOT] ILIKE
    value   := 'string' | "string" | number

Examples: ``name LIKE 'fraud%' AND tags.team = 'risk'``,
``(version_number > 3 OR tags.`ab test` IN ('a', 'b'))``, ``metrics.auc >= 0.9``.

``store/filters.py`` compiles the AST to SQLAlchemy with bound parameters.  Each search
passes a :class:`FieldSet` naming the attributes it allows and their canonical names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelyard.domain.validation import check_int, is_ascii_int
from modelyard.errors import InvalidParameter

__all__ = [
    "And",
    "Compare",
    "Field",
    "FieldSet",
    "Or",
    "OrderKey",
    "parse_filter",
    "parse_order_by",
    "quote",
]


@dataclass(frozen=True)
class Field:
    kind: str  # "attr" | "tag" | "param" | "metric"
    key: str


@dataclass(frozen=True)
class Compare:
    field: Field
    op: str  # = != < <= > >= LIKE NOT LIKE ILIKE NOT ILIKE IN NOT IN IS NULL IS NOT NULL
    value: object = None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Compare | And | Or


@dataclass(frozen=True)
class OrderKey:
    field: Field
    descending: bool = False


@dataclass(frozen=True)
class FieldSet:
    """What one search allows: attribute aliases -> canonical name, and its key kinds."""

    attributes: dict[str, str]
    numeric: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset({"tag"})

    def resolve(self, raw: Field) -> Field:
        if raw.kind == "attr":
            canonical = self.attributes.get(raw.key.lower())
            if canonical is None:
                allowed = ", ".join(sorted(set(self.attributes.values())))
                raise InvalidParameter(
                    f"unknown attribute {raw.key!r} in filter; allowed: {allowed}, "
                    f"and {', '.join(sorted(k + 's.<key>' for k in self.kinds))}"
                )
            return Field("attr", canonical)
        if raw.kind not in self.kinds:
            raise InvalidParameter(f"'{raw.kind}s.' keys cannot be searched here")
        return raw


_PREFIXES = {
    "tags": "tag", "tag": "tag",
    "params": "param", "param": "param", "parameter": "param", "parameters": "param",
    "metrics": "metric", "metric": "metric",
    "attributes": "attr", "attribute": "attr", "attr": "attr",
    "dataset": "attr", "datasets": "attr",
}

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<field>[A-Za-z_][A-Za-z0-9_]*\.(?:`[^`]*`|"[^"]*"|[A-Za-z0-9_\-./:]+))
  | (?P<number>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))(?![A-Za-z_])
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<word>`[^`]*`|[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE | re.ASCII,
)

# A filter is parsed by recursive descent: nesting and size are bounded so that no
# filter can exhaust the stack or build an unbounded SQL statement.
MAX_FILTER_LENGTH = 10_000
MAX_FILTER_DEPTH = 32
MAX_FILTER_TERMS = 500

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL"}


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise InvalidParameter(f"invalid filter near position {pos}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tok_text = m.group()
            if kind == "word" and tok_text.upper() in _KEYWORDS:
                kind, tok_text = "kw", tok_text.upper()
            out.append(_Tok(kind, tok_text, pos))
        pos = m.end()
    out.append(_Tok("end", "", pos))
    return out


def _unquote_key(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "`\"":
        return key[1:-1]
    return key


def _field_from(tok: _Tok) -> Field:
    if tok.kind == "field":
        prefix, _, key = tok.text.partition(".")
        kind = _PREFIXES.get(prefix.lower())
        if kind is None:
            raise InvalidParameter(f"unknown prefix {prefix!r} in filter")
        return Field(kind, _unquote_key(key))
    if tok.kind == "word":
        return Field("attr", _unquote_key(tok.text))
    raise InvalidParameter(f"expected a field name at position {tok.pos}, got {tok.text!r}")


class _Parser:
    def __init__(self, text: str, fields: FieldSet) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.fields = fields
        self.depth = 0
        self.terms = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept_kw(self, *words: str) -> bool:
        tok = self.peek()
        if tok.kind == "kw" and tok.text in words:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, what: str) -> _Tok:
        tok = self.take()
        if tok.kind != kind:
            shown = tok.text or "end of filter"
            raise InvalidParameter(f"expected {what} at position {tok.pos}, got {shown!r}")
        return tok

    def parse(self) -> Node:
        node = self.expr()
        if self.peek().kind != "end":
            tok = self.peek()
            raise InvalidParameter(f"unexpected {tok.text!r} at position {tok.pos} in filter")
        return node

    def expr(self) -> Node:
        items = [self.term()]
        while self.accept_kw("OR"):
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self) -> Node:
        items = [self.factor()]
        while self.accept_kw("AND"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self) -> Node:
        if self.peek().kind == "lparen":
            self.take()
            self.depth += 1
            if self.depth > MAX_FILTER_DEPTH:
                raise InvalidParameter(
                    f"filter nests parentheses deeper than {MAX_FILTER_DEPTH} levels")
            node = self.expr()
            self.expect("rparen", "')'")
            self.depth -= 1
            return node
        self.terms += 1
        if self.terms > MAX_FILTER_TERMS:
            raise InvalidParameter(f"filter has more than {MAX_FILTER_TERMS} comparisons")
        return self.compare()

    def compare(self) -> Compare:
        field = self.fields.resolve(_field_from(self.take()))
        tok = self.peek()
        if tok.kind == "op":
            self.take()
            op = "!=" if tok.text == "<>" else tok.text
            return self._typed(field, op, self.value())
        negate = self.accept_kw("NOT")
        if self.accept_kw("LIKE", "ILIKE"):
            op = self.toks[self.i - 1].text
            value = self.value()
            if not isinstance(value, str):
                raise InvalidParameter(f"{op} needs a string pattern")
            return Compare(field, ("NOT " if negate else "") + op, value)
        if self.accept_kw("IN"):
            self.expect("lparen", "'(' after IN")
            values = [self.value()]
            while self.peek().kind == "comma":
                self.take()
                values.append(self.value())
            self.expect("rparen", "')'")
            typed = tuple(self._typed(field, "=", v).value for v in values)
            return Compare(field, "NOT IN" if negate else "IN", typed)
        if not negate and self.accept_kw("IS"):
            neg = self.accept_kw("NOT")
            self.expect("kw", "NULL")
            return Compare(field, "IS NOT NULL" if neg else "IS NULL")
        raise InvalidParameter(
            f"expected a comparison operator at position {tok.pos}, got {tok.text or 'end'!r}"
        )

    def value(self) -> object:
        tok = self.take()
        if tok.kind == "string":
            quote = tok.text[0]
            return tok.text[1:-1].replace(quote * 2, quote)
        if tok.kind == "number":
            return _number(tok.text, "filter value")
        raise InvalidParameter(f"expected a value at position {tok.pos}, got {tok.text!r}")

    def _typed(self, field: Field, op: str, value: object) -> Compare:
        numeric = field.kind == "metric" or (
            field.kind == "attr" and field.key in self.fields.numeric
        )
        if numeric and isinstance(value, str):
            if not re.fullmatch(_NUMBER, value.strip(), re.ASCII):
                raise InvalidParameter(f"{field.key} compares with a number, not {value!r}")
            value = _number(value.strip(), field.key)
        if not numeric and not isinstance(value, str):
            if field.kind in ("tag", "param"):
                raise InvalidParameter(
                    f"{field.kind}s.{field.key} compares with a quoted string, not {value!r}"
                )
            value = str(value)
        if field.kind in ("tag", "param") and op in ("<", "<=", ">", ">="):
            raise InvalidParameter(f"{field.kind} values support = != LIKE ILIKE IN only")
        return Compare(field, op, value)


_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"


def _number(text: str, what: str) -> int | float:
    """A numeric literal (ASCII only, as the tokenizer matched it): integers within
    64 bits, finite floats."""
    if is_ascii_int(text, signed=True):
        return check_int(text, what)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InvalidParameter(f"{what} is out of range: {text[:40]!r}")
    return value


def quote(value: str) -> str:
    """``value`` as a string literal of the filter language (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def parse_filter(text: str | None, fields: FieldSet) -> Node | None:
    """Parse a filter string; ``None`` or blank means no filter."""
    if text is None or not str(text).strip():
        return None
    text = str(text)
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidParameter(f"filter is longer than {MAX_FILTER_LENGTH} characters")
    key = (id(fields), text)
    found = _PARSED.get(key)
    if found is not None and found[0] is fields:
        return found[1]
    node = _Parser(text, fields).parse()
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = (fields, node)
    return node


# Filters parsed, by field set and text: clients send the same few filters again and
# again, and parsing one was a tenth of the server's work for a search of 60 versions.
# A parsed filter is immutable (frozen nodes, tuples); a refused one is not kept; the
# field set is kept beside it, so an id reused by a new one is not mistaken for it.
_PARSED: dict[tuple[int, str], tuple[FieldSet, Node]] = {}
_PARSED_MAX = 512


def parse_order_by(items: list[str] | str | None, fields: FieldSet) -> list[OrderKey]:
    """``["name ASC", "metrics.auc DESC"]`` -> order keys; unknown fields are refused."""
    if not items:
        return []
    if isinstance(items, str):
        items = [items]
    out = []
    for item in items:
        words = _tokenize(str(item))[:-1]
        if not words or len(words) > 2:
            raise InvalidParameter(f"invalid order_by clause {item!r}")
        field = fields.resolve(_field_from(words[0]))
        descending = False
        if len(words) == 2:
            direction = words[1].text.upper()
            if direction not in ("ASC", "DESC"):
                raise InvalidParameter(f"order_by direction must be ASC or DESC: {item!r}")
            descending = direction == "DESC"
        out.append(OrderKey(field, descending))
    return out
