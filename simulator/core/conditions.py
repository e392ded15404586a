"""Conditions on client state, as authors write them: `trust >= 55 and not asked_family`.

Grammar (no function calls, no attribute access, nothing evaluated by Python itself):

    expr   := and ("or" and)*
    and    := not ("and" not)*
    not    := "not" not | cmp
    cmp    := value (("<" | "<=" | ">" | ">=" | "==" | "!=") value)?
    value  := NUMBER | NAME | "(" expr ")"

A bare NAME is true when the variable is above zero. Conditions compile to closures over the
state mapping, so evaluating one is a few dictionary lookups.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

State = Mapping[str, float]
Predicate = Callable[[State], bool]
_Value = Callable[[State], float]

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([a-z][a-z0-9_]*)|(<=|>=|==|!=|<|>|\(|\)))")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_KEYWORDS = {"and", "or", "not"}


class ConditionError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Condition:
    source: str
    names: frozenset[str]
    test: Predicate

    def __call__(self, state: State) -> bool:
        return self.test(state)


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"unexpected {text[pos:].strip()[:20]!r} at character {pos + 1}")
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    if not tokens:
        raise ConditionError("empty condition")
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.names: set[str] = set()

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends too early")
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.expr()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek()!r}")
        return pred

    def expr(self) -> Predicate:
        parts = [self.conj()]
        while self.peek() == "or":
            self.take()
            parts.append(self.conj())
        if len(parts) == 1:
            return parts[0]
        return lambda s: any(p(s) for p in parts)

    def conj(self) -> Predicate:
        parts = [self.neg()]
        while self.peek() == "and":
            self.take()
            parts.append(self.neg())
        if len(parts) == 1:
            return parts[0]
        return lambda s: all(p(s) for p in parts)

    def neg(self) -> Predicate:
        if self.peek() == "not":
            self.take()
            inner = self.neg()
            return lambda s: not inner(s)
        return self.cmp()

    def cmp(self) -> Predicate:
        if self.peek() == "(":
            self.take()
            inner = self.expr()
            if self.take() != ")":
                raise ConditionError("missing ')'")
            return inner
        left = self.value()
        op = self.peek()
        if op in _OPS:
            self.take()
            right = self.value()
            fn = _OPS[op]
            return lambda s: fn(left(s), right(s))
        return lambda s: left(s) > 0

    def value(self) -> _Value:
        tok = self.take()
        if tok[0].isdigit():
            number = float(tok)
            return lambda s: number
        if tok in _KEYWORDS or not tok[0].isalpha():
            raise ConditionError(f"expected a number or a state name, found {tok!r}")
        self.names.add(tok)
        return lambda s: s.get(tok, 0.0)


@functools.lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition:
    """Parse once per distinct text; conditions are immutable, so sharing them is safe."""
    parser = _Parser(_tokenize(text))
    test = parser.parse()
    return Condition(text, frozenset(parser.names), test)
