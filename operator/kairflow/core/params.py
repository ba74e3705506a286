"""Checking a run's conf against the DAG's params (their defaults give the types)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def conf_problems(params: Mapping[str, Any], conf: Mapping[str, Any]) -> list[str]:
    """A conf value must have the JSON type of the param's default (a null default
    accepts anything); keys that are not params are allowed, as in Airflow."""
    problems = []
    for name, value in conf.items():
        if name not in params or params[name] is None:
            continue
        expected, got = _json_type(params[name]), _json_type(value)
        if expected != got:
            problems.append(
                f"conf {name!r} must be a {expected} like the param's default, not a {got}"
            )
    return problems
