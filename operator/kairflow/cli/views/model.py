"""What every view reads from a run: its DAG snapshot, task order and instances.

A run's status may be missing (pending run), its snapshot missing or unreadable (an
older operator, a hand-made object): then the views fall back to the order of the
status keys and draw no edges, rather than fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from pydantic import ValidationError
from rich.text import Text

from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.api.dagrun import DagRun, TaskInstanceStatus
from kairflow.cli.views.states import state_text
from kairflow.core.errors import InvalidDag
from kairflow.core.graph import DagGraph, build_graph
from kairflow.core.map_window import order_key, stands_for
from kairflow.core.times import parse_time

_MAPPED_KEY = re.compile(r"(?P<task>.+)\[(?P<index>\d+)\]")


def split_key(key: str) -> tuple[str, int | None]:
    """`task[3]` → (`task`, 3); `task` → (`task`, None)."""
    match = _MAPPED_KEY.fullmatch(key)
    if match is None:
        return key, None
    return match["task"], int(match["index"])


def moment(text: str | None) -> datetime | None:
    """A status timestamp as an aware datetime; None when absent or unreadable."""
    try:
        return parse_time(text)
    except ValueError:
        return None


def snapshot_spec(run: DagRun) -> DAGSpec | None:
    """The DAG spec the run ran, or None when it has no readable snapshot."""
    raw = run.status.dag_spec
    if not raw:
        return None
    try:
        return DAGSpec.model_validate(raw)
    except ValidationError:
        return None


def graph_of(spec: DAGSpec | None) -> DagGraph | None:
    """The spec's task graph, or None when there is no spec or it is not a DAG."""
    if spec is None:
        return None
    try:
        return build_graph(spec)
    except InvalidDag:
        return None


@dataclass(frozen=True)
class Instance:
    """One task instance: its status key (`task` or `task[i]`) and status."""

    key: str
    map_index: int | None
    status: TaskInstanceStatus

    @property
    def count(self) -> int:
        """Task instances it stands for (a mapped task's not created yet: many)."""
        return stands_for(self.status)

    @property
    def label(self) -> str:
        """`[i]`, or `[i…j]` for a mapped task's instances not created yet."""
        status = self.status
        if self.map_index is not None:
            return f"[{self.map_index}]"
        if status.map_length is not None and status.map_next is not None:
            return f"[{status.map_next}…{status.map_length - 1}]"
        return "[ ]"

    @property
    def order(self) -> int:
        """Where it goes among its task's instances: by map index, the rest last."""
        return self.map_index if self.map_index is not None else order_key(self.status)


@dataclass(frozen=True)
class Flow:
    """Tasks in DAG order with their direct upstream tasks (empty without a graph)."""

    order: tuple[str, ...]
    upstream: Mapping[str, tuple[str, ...]]
    tasks: Mapping[str, TaskSpec]

    @property
    def has_graph(self) -> bool:
        """False when the spec was missing or not a valid DAG (no edges known)."""
        return bool(self.tasks)

    @cached_property
    def position(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.order)}

    @cached_property
    def depth(self) -> dict[str, int]:
        """Longest path from a root: the layer a task is drawn in."""
        depth: dict[str, int] = {}
        for name in self.order:  # topological, so every upstream is done first
            depth[name] = 1 + max((depth[u] for u in self.upstream.get(name, ())), default=-1)
        return depth


def flow_of(spec: DAGSpec | None, extra: Iterable[str] = ()) -> Flow:
    """The spec's flow; tasks in `extra` (status keys) missing from it come last."""
    graph = graph_of(spec)
    order = list(graph.order) if graph else []
    known = set(order)
    for name in extra:
        if name not in known:
            known.add(name)
            order.append(name)
    position = {name: i for i, name in enumerate(order)}
    upstream = {
        name: tuple(sorted(ups, key=position.__getitem__))
        for name, ups in (graph.upstream.items() if graph else ())
    }
    return Flow(tuple(order), upstream, dict(graph.tasks) if graph else {})


def instances_by_task(
    task_instances: Mapping[str, TaskInstanceStatus],
) -> dict[str, list[Instance]]:
    """Status entries grouped by task (in status order), mapped ones by index."""
    grouped: dict[str, list[Instance]] = {}
    for key, status in task_instances.items():
        task, index = split_key(key)
        grouped.setdefault(task, []).append(Instance(key, index, status))
    for instances in grouped.values():
        instances.sort(key=lambda i: i.order)
    return grouped


@dataclass(frozen=True)
class RunView:
    """A run as the views read it."""

    run: DagRun
    spec: DAGSpec | None
    flow: Flow
    instances: Mapping[str, Sequence[Instance]]

    def is_mapped(self, task: str) -> bool:
        spec = self.flow.tasks.get(task)
        if spec is not None and spec.expand is not None:
            return True
        return any(i.map_index is not None for i in self.instances.get(task, ()))


def read_run(run: DagRun) -> RunView:
    spec = snapshot_spec(run)
    instances = instances_by_task(run.status.task_instances)
    return RunView(run, spec, flow_of(spec, instances), instances)


def run_title(run: DagRun) -> str:
    """`dag · run id · logical date` as far as the run knows them."""
    status = run.status
    run_id = status.run_id or run.metadata.name or ""
    logical = status.logical_date or (
        run.spec.logical_date.isoformat() if run.spec.logical_date else ""
    )
    parts = [run.spec.dag_name, run_id, "" if logical in run_id else logical]
    return " · ".join(p for p in parts if p)


def run_header(run: DagRun, extra: str = "") -> Text:
    """The first line of every run view: `✓ success  dag · run id[  extra]`, one line."""
    return Text.assemble(
        state_text(run.status.state, run=True),
        "  ",
        (run_title(run), "bold"),
        extra,
        no_wrap=True,
        overflow="ellipsis",
    )
