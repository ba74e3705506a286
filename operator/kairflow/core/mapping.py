"""Dynamic task mapping: one task instance per item of a list, or per combination of
several lists (`product`, Airflow's `.expand(a=[...], b=[...])`); at most
`max_map_length` instances (Airflow's `[core] max_map_length`, 1024 by default;
`KAIRFLOW_MAX_MAP_LENGTH` raises it: big runs keep their task instances in slices)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from kairflow.api.dag import ExpandSpec, TaskSpec

MAX_MAP_LENGTH = 1024
DEFAULT_WINDOW = MAX_MAP_LENGTH
"""Unfinished instances a mapped task has at most (`map_window`): as Airflow's default
max_map_length, so a mapping Airflow accepts is created whole."""


class MappingError(ValueError):
    """The list to map over is unusable; the mapped task fails with this message."""


def sources(expand: ExpandSpec) -> tuple[str, ...]:
    """The upstream tasks whose XComs the mapping reads (none: a literal mapping,
    expanded when the run starts)."""
    if expand.product is not None:
        return tuple(dict.fromkeys(a.from_task for a in expand.product if a.from_task))
    return (expand.from_task,) if expand.from_task else ()


def map_items(
    task: TaskSpec, xcoms: Mapping[str, Any], limit: int = MAX_MAP_LENGTH
) -> list[Any] | None:
    """The items to map over, or None while a source task has not pushed yet."""
    expand = _expand_of(task)
    if expand.product is None:
        return _one_list(expand.items, expand.from_task, xcoms, "expand.items", limit)
    lists = _product_lists(expand, xcoms, limit)
    if lists is None:
        return None
    # Airflow's DictOfListsExpandInput: the last argument varies fastest, as in
    # itertools.product over the arguments in their order.
    names = [argument.name for argument in expand.product]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]


def mapped_length(
    task: TaskSpec, xcoms: Mapping[str, Any], limit: int = MAX_MAP_LENGTH
) -> int | None:
    """How many instances the task maps to (None while a source has not pushed),
    without building the product's combinations."""
    expand = _expand_of(task)
    if expand.product is None:
        items = _one_list(expand.items, expand.from_task, xcoms, "expand.items", limit)
        return None if items is None else len(items)
    lists = _product_lists(expand, xcoms, limit)
    return None if lists is None else math.prod(len(values) for values in lists)


def _expand_of(task: TaskSpec) -> ExpandSpec:
    if task.expand is None:
        raise ValueError(f"task {task.name!r} is not mapped")
    return task.expand


def _product_lists(
    expand: ExpandSpec, xcoms: Mapping[str, Any], limit: int
) -> list[list[Any]] | None:
    """Each product argument's list (None while one's source has not pushed), their
    combinations within `limit`."""
    lists: list[list[Any]] = []
    for argument in expand.product or ():
        where = f"expand.product {argument.name!r}"
        values = _one_list(argument.items, argument.from_task, xcoms, where, limit)
        if values is None:
            return None
        lists.append(values)
    total = math.prod(len(values) for values in lists)
    if total > limit:
        raise MappingError(
            f"cannot map over expand.product: {total} combinations, the limit is {limit} "
            "(KAIRFLOW_MAX_MAP_LENGTH)"
        )
    return lists


def _one_list(
    literal: list[Any] | None,
    source: str | None,
    xcoms: Mapping[str, Any],
    where: str,
    limit: int,
) -> list[Any] | None:
    if literal is not None:
        items: Any = literal
    else:
        if source is None or source not in xcoms:
            return None
        items = xcoms[source]
        where = f"the XCom of {source!r}"
    if not isinstance(items, list):
        raise MappingError(f"cannot map over {where}: expected a JSON list, got {_kind(items)}")
    if len(items) > limit:
        raise MappingError(
            f"cannot map over {where}: {len(items)} items, the limit is {limit} "
            "(KAIRFLOW_MAX_MAP_LENGTH)"
        )
    return items


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
