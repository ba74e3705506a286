"""Task groups in the scheduling core: which tasks a group holds, how a group named in
`flow` or `dependsOn` turns into task dependencies, and what a group can get wrong.

Airflow's semantics: a group upstream of something stands for its leaves (its tasks
with no downstream task inside the group), downstream of something for its roots (no
upstream task inside it). Roots and leaves come from the dependencies inside the
group, so links naming groups are resolved innermost first: a link between two things
inside `outer` is known before `outer`'s own roots and leaves are taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kairflow.api.dag import DAGSpec
from kairflow.api.task_groups import resolve_group_ids

_MAX_ID = 63  # a task id is a label value (kairflow.io/task)
Edge = tuple[str, str, str]  # (upstream, downstream, where it was written)


@dataclass(frozen=True)
class GroupTree:
    """The DAG's groups: each group's parent, and each task's groups, outermost first."""

    parent: Mapping[str, str | None]
    task_groups: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, spec: DAGSpec) -> GroupTree:
        by_id = spec.group_ids
        parent = {gid: g.group for gid, g in by_id.items()}
        return cls(
            parent=parent,
            task_groups={t.name: _path(t.group, parent) for t in spec.tasks if t.group in parent},
        )

    def members(self) -> dict[str, tuple[str, ...]]:
        """{group id: its tasks, nested groups' included, in declaration order}."""
        found: dict[str, list[str]] = {gid: [] for gid in self.parent}
        for task, groups in self.task_groups.items():
            for group in groups:
                found[group].append(task)
        return {gid: tuple(tasks) for gid, tasks in found.items()}

    def path(self, ref: str) -> tuple[str, ...]:
        """The groups around a task or a group (not the group itself), outermost first."""
        if ref in self.parent:
            return _path(self.parent[ref], self.parent)
        return self.task_groups.get(ref, ())


def _path(group: str | None, parent: Mapping[str, str | None]) -> tuple[str, ...]:
    found: list[str] = []
    while group is not None and group not in found:
        found.append(group)
        group = parent.get(group)
    return tuple(reversed(found))


def group_problems(spec: DAGSpec) -> list[str]:
    """Groups that cannot be resolved, tasks in unknown groups, empty groups, ids that
    clash or grew too long with their group's prefix."""
    _, problems = resolve_group_ids(spec.groups)
    by_id = spec.group_ids
    tasks = {t.name for t in spec.tasks}
    for task in spec.tasks:
        if task.group is not None and task.group not in by_id:
            problems.append(f"task {task.name!r}: unknown task group {task.group!r}")
        if task.group is not None and len(task.name) > _MAX_ID:
            problems.append(
                f"task {task.name!r}: the id with its group's prefix is longer than "
                f"{_MAX_ID} characters"
            )
    members = GroupTree.of(spec).members()
    for gid in by_id:
        if gid in tasks:
            problems.append(f"task group {gid!r} has the same id as a task")
        if not members[gid]:
            problems.append(f"task group {gid!r} has no tasks")
    return problems


def link_groups(edges: Iterable[Edge], spec: DAGSpec, upstream: dict[str, set[str]]) -> list[str]:
    """Add to `upstream` ({task: its upstream tasks}, holding the links between tasks)
    the links of `edges` that name a group, each group taken as its leaves upstream and
    its roots downstream. Returns the links that cannot be made."""
    tree = GroupTree.of(spec)
    members = tree.members()
    grouped: list[tuple[int, Edge]] = []
    problems: list[str] = []
    for up, down, where in edges:
        if up in tree.path(down) or down in tree.path(up):
            inner, group = (down, up) if up in tree.path(down) else (up, down)
            problems.append(
                f"{where}: {inner!r} is inside task group {group!r}, so one cannot "
                "depend on the other"
            )
            continue
        grouped.append((_common_depth(tree.path(up), tree.path(down)), (up, down, where)))
    # Innermost first: an outer group's roots and leaves see the links inside it.
    for _, (up, down, _where) in sorted(grouped, key=lambda item: -item[0]):
        ups = _leaves(members[up], upstream) if up in members else (up,)
        downs = _roots(members[down], upstream) if down in members else (down,)
        for d in downs:
            upstream[d].update(ups)
    return problems


def _common_depth(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    depth = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        depth += 1
    return depth


def _roots(members: tuple[str, ...], upstream: Mapping[str, set[str]]) -> tuple[str, ...]:
    inside = set(members)
    return tuple(t for t in members if not inside & upstream.get(t, set()))


def _leaves(members: tuple[str, ...], upstream: Mapping[str, set[str]]) -> tuple[str, ...]:
    inside = set(members)
    fed = {u for t in members for u in upstream.get(t, set()) if u in inside}
    return tuple(t for t in members if t not in fed)
