"""Asset conditions: Airflow's `AssetAll` / `AssetAny` (`a & b`, `a | b`).

A DAG's `assets` schedule is `all: [...]`, `any: [...]` or an expression with `&`,
`|` and parentheses; `&` binds tighter than `|`, as Python's operators do in
Airflow's `(a | b) & c`. A condition holds on the set of assets updated (with an
event not consumed yet) since the DAG's last asset run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kairflow.api.asset import AssetSchedule


@dataclass(frozen=True)
class AssetRef:
    uri: str


@dataclass(frozen=True)
class AssetAll:
    parts: tuple[AssetCondition, ...]


@dataclass(frozen=True)
class AssetAny:
    parts: tuple[AssetCondition, ...]


AssetCondition = AssetRef | AssetAll | AssetAny


class ConditionError(ValueError):
    """An expression that does not parse; the message says where."""


_TOKEN = re.compile(r"\s*(?:([()&|])|([^\s()&|]+))")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern matches any non-blank rest
            raise ConditionError(f"cannot read {text[pos:]!r}")
        out.append(match.group(1) or match.group(2))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConditionError("the expression ends too early")
        self.pos += 1
        return token

    def any_of(self) -> AssetCondition:
        parts = [self.all_of()]
        while self.peek() == "|":
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else AssetAny(tuple(parts))

    def all_of(self) -> AssetCondition:
        parts = [self.atom()]
        while self.peek() == "&":
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else AssetAll(tuple(parts))

    def atom(self) -> AssetCondition:
        token = self.take()
        if token == "(":
            inner = self.any_of()
            if self.peek() != ")":
                raise ConditionError("a '(' is not closed")
            self.take()
            return inner
        if token in {")", "&", "|"}:
            raise ConditionError(f"expected an asset URI, found {token!r}")
        return AssetRef(token)


def parse_condition(text: str) -> AssetCondition:
    """`(s3://a | s3://b) & s3://c` as a condition tree."""
    parser = _Parser(text)
    condition = parser.any_of()
    rest = parser.peek()
    if rest is not None:
        raise ConditionError(f"unexpected {rest!r} after a complete condition")
    return condition


def condition_of(schedule: AssetSchedule) -> AssetCondition:
    if schedule.all_of is not None:
        return AssetAll(tuple(AssetRef(uri) for uri in schedule.all_of))
    if schedule.any_of is not None:
        return AssetAny(tuple(AssetRef(uri) for uri in schedule.any_of))
    assert schedule.expression is not None
    return parse_condition(schedule.expression)


def condition_problems(schedule: AssetSchedule | None) -> list[str]:
    if schedule is None:
        return []
    try:
        condition_of(schedule)
    except ConditionError as exc:
        return [f"assets.expression: {exc}"]
    return []


def holds(condition: AssetCondition, updated: set[str]) -> bool:
    """Whether the condition is met when the assets in `updated` have new events."""
    if isinstance(condition, AssetRef):
        return condition.uri in updated
    if isinstance(condition, AssetAll):
        return all(holds(part, updated) for part in condition.parts)
    return any(holds(part, updated) for part in condition.parts)


def asset_uris(condition: AssetCondition) -> list[str]:
    """Every URI the condition names, in order of first appearance."""
    if isinstance(condition, AssetRef):
        return [condition.uri]
    seen: dict[str, None] = {}
    for part in condition.parts:
        seen.update(dict.fromkeys(asset_uris(part)))
    return list(seen)


def describe(condition: AssetCondition, top: bool = True) -> str:
    """The condition as Airflow's expression, parenthesised only where needed."""
    if isinstance(condition, AssetRef):
        return condition.uri
    joiner = " & " if isinstance(condition, AssetAll) else " | "
    text = joiner.join(describe(part, top=False) for part in condition.parts)
    return text if top else f"({text})"
