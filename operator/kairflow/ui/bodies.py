"""What a page sends with an action: one JSON object whose fields are checked for
their type here, each mistake a one-line RequestError naming the field (the server
answers 400 with it)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kairflow.requests.errors import RequestError

MAX_NAMES = 10_000
"""Task names or patterns in one request (a DAG's whole list, with room to spare)."""


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise RequestError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise RequestError("the request body must be a JSON object")
    return data


def flag(data: dict[str, Any], name: str, default: bool = False) -> bool:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RequestError(f"{name}: must be true or false, not {value!r}")
    return value


def text(data: dict[str, Any], name: str) -> str | None:
    """A string field; absent, null and blank are all "not given"."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f"{name}: must be a string, not {value!r}")
    return value.strip() or None


def required_text(data: dict[str, Any], name: str) -> str:
    value = text(data, name)
    if value is None:
        raise RequestError(f"{name}: required")
    return value


def names(data: dict[str, Any], name: str) -> list[str]:
    """A list of task names or patterns (absent: none)."""
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RequestError(f"{name}: must be a list of task names")
    if len(value) > MAX_NAMES:
        raise RequestError(f"{name}: at most {MAX_NAMES} names, got {len(value)}")
    return list(dict.fromkeys(value))


def json_dict(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A JSON object field (a run's conf); absent or null is None."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestError(f"{name}: must be a JSON object")
    return value


def count(data: dict[str, Any], name: str) -> int | str | None:
    """A whole number field, as a number or as typed (the request builder reads and
    checks it: `whole_number`)."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RequestError(f"{name}: {value!r} is not a whole number")
    return value
