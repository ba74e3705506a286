"""Context objects that know their template name.

Errors then read "'params' has no attribute 'x'" rather than "'dict object' has no
attribute 'x'". The sandbox hides attributes starting with '_' from templates, so
`_template_name` is invisible to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class NamedDict(dict[str, Any]):
    __slots__ = ("_template_name",)

    def __init__(self, name: str, items: Iterable[tuple[str, Any]]) -> None:
        super().__init__(items)
        self._template_name = name


class NamedList(list[Any]):
    __slots__ = ("_template_name",)

    def __init__(self, name: str, items: Iterable[Any]) -> None:
        super().__init__(items)
        self._template_name = name


class Namespace:
    """A read-only bag of attributes for templates (dag, dag_run, task, macros...)."""

    _template_name: str

    def __init__(self, _name: str, **members: Any) -> None:
        object.__setattr__(self, "_template_name", _name)
        for key, value in members.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self._template_name} is read-only")

    def __repr__(self) -> str:
        return f"<{self._template_name}>"


def wrap(value: Any, name: str) -> Any:
    """A deep copy of JSON-like data whose dicts and lists know their template name
    (the copy also keeps templates from mutating the caller's data)."""
    if isinstance(value, Mapping):
        return NamedDict(
            name, ((str(k), wrap(v, _child_name(name, str(k)))) for k, v in value.items())
        )
    if isinstance(value, list | tuple):
        return NamedList(name, (wrap(v, f"{name}[{i}]") for i, v in enumerate(value)))
    return value


def _child_name(parent: str, key: str) -> str:
    return f"{parent}.{key}" if key.isidentifier() else f"{parent}[{key!r}]"


def template_name(obj: Any) -> str | None:
    """The name a template knows `obj` by, or None for other objects."""
    if isinstance(obj, NamedDict | NamedList | Namespace):
        return obj._template_name
    return None
