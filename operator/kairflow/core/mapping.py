"""Dynamic task mapping: one task instance per item of a list (at most 1024)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kairflow.api.dag import TaskSpec

MAX_MAP_LENGTH = 1024


class MappingError(ValueError):
    """The list to map over is unusable; the mapped task fails with this message."""


def map_items(task: TaskSpec, xcoms: Mapping[str, Any]) -> list[Any] | None:
    """The items to map over, or None while the source task has not pushed yet."""
    if task.expand is None:
        raise ValueError(f"task {task.name!r} is not mapped")
    if task.expand.items is not None:
        items: Any = task.expand.items
        where = "expand.items"
    else:
        source = task.expand.from_task
        if source is None or source not in xcoms:
            return None
        items = xcoms[source]
        where = f"the XCom of {source!r}"
    if not isinstance(items, list):
        raise MappingError(f"cannot map over {where}: expected a JSON list, got {_kind(items)}")
    if len(items) > MAX_MAP_LENGTH:
        raise MappingError(
            f"cannot map over {where}: {len(items)} items, the limit is {MAX_MAP_LENGTH}"
        )
    return items


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
