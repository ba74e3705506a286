"""The mapped argument of a task: what `.expand(name=source)` maps over, and how a
classic operator's field reads each instance's item.

The engine maps a task over one list (`expand: {items}` or `expand: {fromTask}`) and
gives each instance its item as `{{ item }}`. As in Airflow, the templates inside the
items of a literal list are rendered for their instance; the items of an upstream XCom
are values, never rendered. So a field reads `{{ item }}`, except when a literal
list's items hold templates: then it holds each item's text, chosen by `map_index`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.shipping.values import has_markup
from kairflow.sdk.xcom_arg import MAPPED_ITEM, ItemOf, MappedItem, XComArg


def one_mapped_argument(mapped: Mapping[str, Any], what: str) -> tuple[str, Any]:
    """The one (name, source) of an `expand(...)` call: the engine maps over one list."""
    if len(mapped) != 1:
        names = ", ".join(sorted(mapped)) or "nothing"
        raise SdkError(f"{what}: Kairflow maps exactly one argument, not {names}")
    ((name, source),) = mapped.items()
    return name, source


def expand_spec(name: str, source: Any) -> tuple[dict[str, Any], XComArg | None]:
    """The task's ExpandSpec fields for `expand(name=source)`, and the upstream XComArg
    it maps over (a dependency), if any."""
    if isinstance(source, XComArg):
        if source.keys:
            raise SdkError("expand() over a part of an XCom is not supported; map the whole list")
        return {"from_task": source.operator.task_id}, source
    if isinstance(source, list | tuple):
        return {"items": list(source)}, None
    raise SdkError(f"expand({name}=...) needs a list or an XComArg, not {source!r}")


def product_spec(mapped: Mapping[str, Any]) -> tuple[dict[str, Any], list[XComArg]]:
    """The ExpandSpec fields for `expand(a=..., b=...)`: the cross product of the
    arguments in their order (Airflow's map indexes), and the XComArgs it reads."""
    arguments: list[dict[str, Any]] = []
    upstream: list[XComArg] = []
    for name, source in mapped.items():
        spec, xcom = expand_spec(name, source)
        arguments.append({"name": name, **spec})
        if xcom is not None:
            upstream.append(xcom)
    return {"product": arguments}, upstream


def same_keys(source: Any, what: str) -> list[str]:
    """The keys of `expand_kwargs([{"x": 1, "y": 2}, ...])`: a literal list of dicts
    that all have the same keys (each key a mapped argument)."""
    if isinstance(source, list | tuple) and source and all(isinstance(d, dict) for d in source):
        keys = {tuple(sorted(d)) for d in source}
        if len(keys) == 1 and next(iter(keys)):
            return list(source[0])
    raise SdkError(
        f"{what}: Kairflow maps expand_kwargs() only over a literal list of dicts that "
        "all have the same keys"
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def by_map_index(texts: list[str]) -> str:
    """A template that renders `texts[map_index]` (each a template in its own right)."""
    branches = "".join(
        ("{% if" if i == 0 else "{% elif") + f" map_index == {i} %}}{text}"
        for i, text in enumerate(texts)
    )
    return branches + "{% endif %}"


@dataclass(frozen=True)
class Mapped:
    """A classic operator's mapped argument: a literal list or an upstream XCom."""

    name: str
    items: list[Any] | None
    source: XComArg | None
    where: str
    """`Operator.partial().expand(name=...)`, for messages."""
    key: str | None = None
    """Set when the instance's item is a dict of several arguments (`expand.product`,
    `expand_kwargs`): this argument is `item[key]`."""

    @property
    def item(self) -> str:
        """The Jinja expression of this argument's value for an instance."""
        return "item" if self.key is None else f"item[{self.key!r}]"

    @classmethod
    def of(cls, name: str, source: Any, where: str, key: str | None = None) -> Mapped:
        spec, upstream = expand_spec(name, source)
        items = spec.get("items")
        for index, item in enumerate(items or []):
            try:
                json.dumps(item, allow_nan=False)
            except (TypeError, ValueError):
                raise SdkError(
                    f"{where}: item {index} ({item!r}) is not a JSON value (a string, number, "
                    "bool, null, list or dict)"
                ) from None
        mapped = cls(name, items, upstream, where, key)
        if key is not None and mapped.renders_items():
            raise SdkError(
                f"{where}: templates inside the items of {name} are rendered per item only "
                "when one argument is mapped"
            )
        return mapped

    def spec(self) -> dict[str, Any]:
        if self.source is not None:
            return {"from_task": self.source.operator.task_id}
        return {"items": self.items}

    def renders_items(self) -> bool:
        """Whether the items are a literal list holding templates (rendered per item)."""
        return self.items is not None and any(has_markup(s) for s in _strings(self.items))

    def literal_items(self, reason: str) -> list[Any]:
        """The literal list; an upstream XCom is refused with `reason`."""
        if self.items is None:
            raise SdkError(f"{self.where}: {reason}")
        return self.items

    def template(self, render: Callable[[Any], str], from_item: str) -> str:
        """The field's template: `from_item` (which reads `item`), or `render(item)` per
        literal item when the items hold templates."""
        if self.items is not None and self.renders_items():
            return by_map_index([render(item) for item in self.items])
        return from_item

    def python_value(self) -> Any:
        """What a shipped callable receives as the argument (see shipping.values)."""
        if self.items is not None and self.renders_items():
            return ItemOf(self.items)
        return MAPPED_ITEM if self.key is None else MappedItem(self.key)

    def strings(self, what: str) -> list[str]:
        """The literal items, each a string (the field is one string per instance)."""
        items = self.items or []
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise SdkError(f"{self.where}: {what} item {index} must be a string, not {item!r}")
        return items
