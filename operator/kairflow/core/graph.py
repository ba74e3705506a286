"""The task graph: dependencies from `dependsOn` and `flow` chains, validated.

A flow chain is Airflow's bit-shift syntax: `a >> b >> [c, d] >> e` (and `<<` the
other way). Each operator links the lists on its two sides, every task of one list
to every task of the other, exactly as Airflow's `>>` between lists does. A task
group's id may stand where a task's does (see `task_groups`: its leaves upstream, its
roots downstream).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.core.errors import InvalidDag
from kairflow.core.task_groups import Edge, GroupTree, group_problems, link_groups

_TASK_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?")
_OPERATOR = re.compile(r"(>>|<<)")


def parse_chain(chain: str) -> list[tuple[str, str]]:
    """The (upstream, downstream) edges of one flow chain; ValueError when malformed."""
    parts = _OPERATOR.split(chain)
    operators = parts[1::2]
    if not operators:
        raise ValueError(f"flow {chain!r}: no `>>` or `<<` between tasks")
    groups = [_parse_group(part.strip(), chain) for part in parts[0::2]]
    edges: list[tuple[str, str]] = []
    for op, left, right in zip(operators, groups, groups[1:], strict=False):
        up, down = (left, right) if op == ">>" else (right, left)
        edges.extend((u, d) for u in up for d in down)
    return edges


def _parse_group(text: str, chain: str) -> list[str]:
    if not text:
        raise ValueError(f"flow {chain!r}: a task is missing next to `>>` or `<<`")
    if text.startswith("["):
        if not text.endswith("]"):
            raise ValueError(f"flow {chain!r}: unbalanced brackets in {text!r}")
        names = [n.strip() for n in text[1:-1].split(",")]
        if any(not n for n in names):
            raise ValueError(f"flow {chain!r}: empty name in {text!r}")
    else:
        names = [text]
    for name in names:
        if not _TASK_NAME.fullmatch(name):
            raise ValueError(f"flow {chain!r}: {name!r} is not a task name")
    return names


@dataclass(frozen=True)
class DagGraph:
    """Tasks by name with direct upstream/downstream sets, a stable topological order
    and the tasks of each task group."""

    tasks: Mapping[str, TaskSpec]
    upstream: Mapping[str, frozenset[str]]
    downstream: Mapping[str, frozenset[str]]
    order: tuple[str, ...]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """{task group id: its tasks, nested groups' included}."""

    @cached_property
    def selectable(self) -> tuple[str, ...]:
        """What a clear or mark may name: task ids, then task group ids."""
        return (*self.order, *self.groups)

    @cached_property
    def leaves(self) -> frozenset[str]:
        return frozenset(n for n in self.order if not self.downstream[n])

    def ancestors(self, name: str) -> frozenset[str]:
        return _reach(self.upstream, [name])

    def descendants(self, name: str) -> frozenset[str]:
        return _reach(self.downstream, [name])


def _reach(links: Mapping[str, frozenset[str]], start: Iterable[str]) -> frozenset[str]:
    seen: set[str] = set()
    stack = [n for s in start for n in links[s]]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(links[name])
    return frozenset(seen)


def graph_problems(spec: DAGSpec) -> list[str]:
    """Every structural problem of the DAG's tasks and dependencies, as sentences."""
    return _collect(spec)[1]


def _collect(spec: DAGSpec) -> tuple[dict[str, set[str]], list[str]]:
    problems: list[str] = []
    names = [t.name for t in spec.tasks]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"duplicate task name {name!r}")
        seen.add(name)
    upstream: dict[str, set[str]] = {n: set() for n in names}
    edges: list[Edge] = []
    for task in spec.tasks:
        edges.extend((up, task.name, f"task {task.name!r} dependsOn") for up in task.depends_on)
    for chain in spec.flow:
        where = f"flow {chain!r}"  # once per chain: a long chain has as many edges as tasks
        try:
            edges.extend((u, d, where) for u, d in parse_chain(chain))
        except ValueError as exc:
            problems.append(str(exc))
    groups = spec.group_ids
    unknown = "unknown task or task group" if spec.groups else "unknown task"
    grouped: list[Edge] = []
    for up, down, where in edges:
        missing = [n for n in (up, down) if n not in upstream and n not in groups]
        problems.extend(f"{where}: {unknown} {name!r}" for name in missing)
        if up == down:
            problems.append(f"{where}: task {up!r} depends on itself")
        elif missing:
            continue
        elif up in groups or down in groups:
            grouped.append((up, down, where))
        else:
            upstream[down].add(up)
    if grouped:
        problems.extend(link_groups(grouped, spec, upstream))
    problems.extend(group_problems(spec))
    for task in spec.tasks:
        if task.expand is not None:
            problems.extend(_expand_problems(task, upstream.get(task.name, set())))
    cycle = find_cycle(upstream)
    if cycle:
        problems.append("cycle: " + " -> ".join(cycle))
    return upstream, _unique(problems)


def _expand_problems(task: TaskSpec, upstream: set[str]) -> list[str]:
    expand = task.expand
    assert expand is not None
    problems: list[str] = []
    given = [expand.items is not None, expand.from_task is not None, expand.product is not None]
    if sum(given) != 1:
        problems.append(
            f"task {task.name!r}: expand needs exactly one of items, fromTask or product"
        )
    arguments = expand.product or []
    names = [a.name for a in arguments]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"task {task.name!r}: expand.product names {name!r} twice")
    for argument in arguments:
        if (argument.items is None) == (argument.from_task is None):
            problems.append(
                f"task {task.name!r}: expand.product {argument.name!r} needs exactly one "
                "of items or fromTask"
            )
    wanted = [expand.from_task] + [a.from_task for a in arguments]
    for source in wanted:
        if source is not None and source not in upstream:
            problems.append(
                f"task {task.name!r}: expand.fromTask {source!r} must be a direct upstream task"
            )
    return problems


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def find_cycle(upstream: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle as a path in dependency order (`a -> b -> a`), or None."""
    downstream: dict[str, list[str]] = {n: [] for n in upstream}
    for down, ups in upstream.items():
        for up in ups:
            downstream[up].append(down)
    for children in downstream.values():
        children.sort()  # once, so the walk is deterministic and stays linear
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(upstream, white)
    for root in upstream:
        if color[root] != white:
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                color[node] = grey
                path.append(node)
            children = downstream[node]
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if color[child] == grey:
                    return [*path[path.index(child) :], child]
                if color[child] == white:
                    stack.append((child, 0))
            else:
                color[node] = black
                path.pop()
    return None


def build_graph(spec: DAGSpec) -> DagGraph:
    """The validated graph; raises InvalidDag listing every problem."""
    upstream, problems = _collect(spec)
    if problems:
        raise InvalidDag(problems)
    downstream: dict[str, set[str]] = {n: set() for n in upstream}
    for down, ups in upstream.items():
        for up in ups:
            downstream[up].add(down)
    return DagGraph(
        tasks={t.name: t for t in spec.tasks},
        upstream={n: frozenset(u) for n, u in upstream.items()},
        downstream={n: frozenset(d) for n, d in downstream.items()},
        order=_topological(spec, upstream),
        groups=GroupTree.of(spec).members(),
    )


def _topological(spec: DAGSpec, upstream: Mapping[str, set[str]]) -> tuple[str, ...]:
    """Kahn's algorithm level by level (a level: the tasks whose last upstream task is
    in the level before), ties broken by declaration order so the result is stable."""
    position = {t.name: i for i, t in enumerate(spec.tasks)}
    waiting = {name: len(ups) for name, ups in upstream.items()}
    downstream: dict[str, list[str]] = {name: [] for name in upstream}
    for down, ups in upstream.items():
        for up in ups:
            downstream[up].append(down)
    level = [name for name, count in waiting.items() if not count]
    order: list[str] = []
    while level:
        level.sort(key=position.__getitem__)
        order.extend(level)
        unblocked: list[str] = []
        for name in level:
            for down in downstream[name]:
                waiting[down] -= 1
                if not waiting[down]:
                    unblocked.append(down)
        level = unblocked
    return tuple(order)
