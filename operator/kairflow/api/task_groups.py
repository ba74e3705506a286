"""Task group ids, as Airflow's TaskGroup gives them, from a DAG spec's `groups`.

A group's id is its name, prefixed with its parent group's id when the parent
prefixes (`outer.inner`, Airflow's `group_id`); a task in a group that prefixes gets
the id `group.task` (Airflow's `task_id`). Groups name their parent, and tasks their
group, by that id. Pure, with no import of the models (they use it while validating).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class GroupLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def prefix_group_id(self) -> bool: ...


G = TypeVar("G", bound=GroupLike)


def resolve_group_ids(groups: Sequence[G]) -> tuple[dict[str, G], list[str]]:
    """{group id: group} for every group whose parent chain resolves, and a sentence for
    each group that does not (an unknown parent, groups nested in a cycle, a duplicate)."""
    resolved: dict[str, G] = {}
    problems: list[str] = []
    pending = list(groups)
    while pending:
        waiting: list[G] = []
        for group in pending:
            if group.group is None:
                group_id = group.name
            elif group.group in resolved:
                parent = resolved[group.group]
                group_id = f"{group.group}.{group.name}" if parent.prefix_group_id else group.name
            else:
                waiting.append(group)
                continue
            if group_id in resolved:
                problems.append(f"duplicate task group id {group_id!r}")
            else:
                resolved[group_id] = group
        if len(waiting) == len(pending):
            break
        pending = waiting
    names = {g.name for g in pending}
    for group in pending:
        if group.group is not None and group.group.rsplit(".", 1)[-1] in names:
            problems.append(f"task group {group.name!r}: task groups nest in a cycle")
        else:
            problems.append(
                f"task group {group.name!r}: unknown parent group {group.group!r} "
                "(a nested group is named by its id, like 'outer.inner')"
            )
    return resolved, problems


def task_id(name: str, group_id: str | None, groups: dict[str, G]) -> str:
    """The id of a task written as `name` in the group `group_id`. A name that already
    carries the group's prefix keeps it, so a spec read back from its own output is
    the same spec."""
    group = groups.get(group_id) if group_id is not None else None
    if group is None or not group.prefix_group_id or name.startswith(f"{group_id}."):
        return name
    return f"{group_id}.{name}"
