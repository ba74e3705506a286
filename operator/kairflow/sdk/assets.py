"""Airflow's assets (Airflow 2's datasets) in the SDK: `Asset("s3://...")` as a task's
`outlets` and a DAG's `schedule` (`[a, b]`, `(a | b) & c`), `AssetOrTimeSchedule`.

A condition is written into the manifest as an expression (`assets.expression`) or,
for a plain list, `assets.all`; the operator parses it back (`core.asset_conditions`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kairflow.sdk.errors import SdkError


class _Condition:
    def __or__(self, other: Any) -> AssetAny:
        return AssetAny(self, _condition(other))

    def __and__(self, other: Any) -> AssetAll:
        return AssetAll(self, _condition(other))


@dataclass(frozen=True, eq=False)
class Asset(_Condition):
    """`Asset("s3://bucket/key")` (Airflow 3; Airflow 2's `Dataset`). `name`, `group`
    and `extra` are accepted; the URI alone names the asset here."""

    uri: str
    name: str | None = None
    group: str | None = None
    extra: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri.strip():
            raise SdkError(f"an asset needs a URI, not {self.uri!r}")
        if any(c in self.uri for c in "()&|") or any(c.isspace() for c in self.uri):
            raise SdkError(f"asset URI {self.uri!r}: no spaces, '(', ')', '&' or '|'")


class AssetAll(_Condition):
    """Every one of the assets updated (Airflow's `a & b`)."""

    def __init__(self, *parts: Any) -> None:
        self.parts = tuple(_condition(p) for p in parts)


class AssetAny(_Condition):
    """Any one of the assets updated (Airflow's `a | b`)."""

    def __init__(self, *parts: Any) -> None:
        self.parts = tuple(_condition(p) for p in parts)


@dataclass(frozen=True)
class AssetOrTimeSchedule:
    """A run on the timetable's ticks and another whenever the assets are updated."""

    timetable: Any
    assets: Any


# Airflow 2's names.
Dataset = Asset
DatasetAll = AssetAll
DatasetAny = AssetAny
DatasetOrTimeSchedule = AssetOrTimeSchedule


def _condition(value: Any) -> _Condition:
    if isinstance(value, _Condition):
        return value
    if isinstance(value, list | tuple):
        return AssetAll(*value)
    raise SdkError(f"{value!r} is not an asset or a condition of assets")


def is_asset_schedule(value: Any) -> bool:
    """`schedule=` given as assets: one, a list of them, or a condition."""
    if isinstance(value, _Condition):
        return True
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, _Condition) for v in value)
    )


def _expression(condition: _Condition, top: bool) -> str:
    if isinstance(condition, Asset):
        return condition.uri
    assert isinstance(condition, AssetAll | AssetAny)
    joiner = " & " if isinstance(condition, AssetAll) else " | "
    text = joiner.join(_expression(part, top=False) for part in condition.parts)
    return text if top else f"({text})"


def asset_schedule(value: Any) -> dict[str, Any]:
    """The manifest's `assets` for a schedule of assets."""
    if isinstance(value, list | tuple) and all(isinstance(v, Asset) for v in value):
        return {"all": [v.uri for v in value]}
    return {"expression": _expression(_condition(value), top=True)}


def outlet_uris(outlets: Any) -> tuple[list[str], list[Any]]:
    """A task's `outlets` as URIs (Assets; plain strings are taken as URIs), and the
    items that are neither (an Airflow DatasetAlias): the caller warns about those."""
    if outlets is None:
        return [], []
    items: Iterable[Any] = outlets if isinstance(outlets, list | tuple) else [outlets]
    uris: list[str] = []
    others: list[Any] = []
    for item in items:
        uri = item.uri if isinstance(item, Asset) else item
        if not isinstance(uri, str):
            others.append(item)
        elif uri not in uris:
            uris.append(uri)
    return uris, others
