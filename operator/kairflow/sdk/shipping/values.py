"""Arguments of a shipped callable as Python source, with their runtime values left
to the engine's templating.

A literal becomes its repr. A string with Jinja markup is rendered by the engine, as
Airflow renders op_args / op_kwargs: it goes into a `{% set %}` block whose text
reaches Python as a JSON string. An XComArg becomes `ti.xcom_pull(...)` rendered the
same way, a mapped argument the instance's `item` (or, for a literal list whose items
hold templates, the rendered list indexed by `map_index`). Every rendered value lands in one
list, `_KF_RENDERED["values"]`, the shipped code indexes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.shipping.names import _is_literal
from kairflow.sdk.xcom_arg import ItemOf, MappedItem, XComArg


def has_markup(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


@dataclass
class Slots:
    """Values the engine renders: `{% set %}` blocks and the Jinja expressions."""

    blocks: list[str] = field(default_factory=list)
    expressions: list[str] = field(default_factory=list)

    def expression(self, jinja: str) -> str:
        self.expressions.append(jinja)
        return f'_KF_RENDERED["values"][{len(self.expressions) - 1}]'

    def template(self, text: str) -> str:
        variable = f"_kf_t{len(self.blocks)}"
        self.blocks.append(f"{{% set {variable} %}}{text}{{% endset %}}")
        return self.expression(variable)


def python_source(value: Any, slots: Slots, what: str) -> str:
    """`value` as a Python expression; rendered parts go through `slots`."""
    if isinstance(value, XComArg):
        return slots.expression(value.expression())
    if isinstance(value, MappedItem):
        return slots.expression(value.expression())
    if isinstance(value, ItemOf):
        # Every item's templates render in every instance; the instance takes its own.
        listed = python_source(value.items, slots, what)
        return f'{listed}[_KF_RENDERED["context"]["map_index"]]'
    if isinstance(value, str):
        return slots.template(value) if has_markup(value) else repr(value)
    if isinstance(value, list | tuple):
        items = [python_source(v, slots, what) for v in value]
        if isinstance(value, tuple):
            return "(" + "".join(f"{item}, " for item in items) + ")"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, Mapping):
        pairs = []
        for key, item in value.items():
            if not _is_literal(key):
                raise SdkError(f"{what}: key {key!r} is not a literal")
            pairs.append(f"{key!r}: {python_source(item, slots, what)}")
        return "{" + ", ".join(pairs) + "}"
    if _is_literal(value):
        return repr(value)
    raise SdkError(
        f"{what}: {value!r} cannot be passed to a task; pass literals (numbers, strings, "
        "lists, dicts), templates or XComArgs"
    )


def upstream_of(value: Any) -> list[XComArg]:
    """The XComArgs inside an argument value (each makes a dependency)."""
    if isinstance(value, XComArg):
        return [value]
    if isinstance(value, list | tuple):
        return [arg for item in value for arg in upstream_of(item)]
    if isinstance(value, Mapping):
        return [arg for item in value.values() for arg in upstream_of(item)]
    return []
