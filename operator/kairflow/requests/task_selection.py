"""Which task instances a clear or mark touches, shown before it happens.

The selection itself is the operator's (`core.interventions.cleared_keys` /
`marked_keys`), computed here from the same inputs (the run's status and the DAG
snapshot it runs), so the preview lists exactly what the request will act on if the
run does not move in between. Pure: runs come in as the API's dicts. The CLI prints
the selection as a table, the web UI's clear and mark dialogs list it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import ClearRequest, DagRunStatus, MarkRequest
from kairflow.core.graph import DagGraph, build_graph
from kairflow.core.interventions import cleared_keys, marked_keys
from kairflow.core.map_window import order_key, stands_for
from kairflow.requests.errors import RequestError


@dataclass(frozen=True)
class RunTasks:
    """A run as a clear or mark sees it: its status and the graph of its DAG snapshot
    (None until the run has started and taken one)."""

    name: str
    status: DagRunStatus
    graph: DagGraph | None

    @classmethod
    def of(cls, run: dict[str, Any]) -> RunTasks:
        status = DagRunStatus.model_validate(run.get("status") or {})
        graph = build_graph(DAGSpec.model_validate(status.dag_spec)) if status.dag_spec else None
        return cls(run["metadata"]["name"], status, graph)


@dataclass(frozen=True)
class Selected:
    """One task instance of the preview."""

    run: str
    key: str
    state: str
    try_number: int
    count: int = 1
    """Task instances it stands for (a mapped task's not created yet: many)."""


def task_of(key: str) -> str:
    """The task of a task instance key (`load`, `process[3]`)."""
    return key.split("[", 1)[0]


def instances_in_order(status: DagRunStatus, graph: DagGraph | None) -> list[str]:
    """Task instance keys in the DAG's topological order, a mapped task's instances by
    index; tasks with no instance yet appear by name (their state is `none`)."""
    if graph is None:
        return list(status.task_instances)
    by_task: dict[str, list[str]] = {}
    for key in status.task_instances:
        by_task.setdefault(task_of(key), []).append(key)
    ordered: list[str] = []
    for name in graph.order:
        keys = by_task.pop(name, None)
        if keys is None:
            ordered.append(name)
            continue
        ordered += sorted(keys, key=lambda k: order_key(status.task_instances[k]))
    return ordered + [key for keys in by_task.values() for key in keys]


Select = Callable[[DagRunStatus, DagGraph], list[str]]


def select(runs: Iterable[RunTasks], keys_of: Select) -> list[Selected]:
    """The task instances `keys_of` picks in each run, run by run, in DAG order
    (runs without a DAG snapshot have no task instances yet)."""
    selected: list[Selected] = []
    for run in runs:
        if run.graph is None:
            continue
        picked = set(keys_of(run.status, run.graph))
        for key in instances_in_order(run.status, run.graph):
            if key in picked:
                ti = run.status.task_instances[key]
                selected.append(
                    Selected(run.name, key, ti.state.value, ti.try_number, stands_for(ti))
                )
    return selected


def unmatched_patterns(patterns: Sequence[str], task_names: Iterable[str]) -> list[str]:
    """The patterns that match no task (a typo the user should hear about)."""
    names = list(task_names)
    return [p for p in patterns if not any(fnmatchcase(n, p) for n in names)]


def check_patterns(
    patterns: Sequence[str], task_names: Sequence[str], dag: str, shown: int | None = None
) -> None:
    """A RequestError naming the patterns that match nothing, and the DAG's tasks (the
    first `shown` of them, when given: a page cannot show 5,000 names in one line)."""
    unmatched = unmatched_patterns(patterns, task_names)
    if not unmatched:
        return
    quoted = ", ".join(repr(p) for p in unmatched)
    names = list(task_names) if shown is None else list(task_names[:shown])
    more = len(task_names) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    raise RequestError(f"{quoted} matches no task of DAG {dag!r} (its tasks: {listed})")


def count_words(selected: Sequence[Selected]) -> str:
    """`3 task instances in 2 runs` (the question's and the summary's wording)."""
    runs = len({s.run for s in selected})
    count = sum(s.count for s in selected)
    instances = "task instance" if count == 1 else "task instances"
    return f"{count:,} {instances} in {runs} {'run' if runs == 1 else 'runs'}"


def request_id(now: datetime, token: str | None = None) -> str:
    """A new request id: the UTC time to the microsecond, then a random suffix.

    Ids sort by when they were made (handy in `kubectl get -o yaml`), and the suffix
    keeps two requests made in the same microsecond apart: the operator applies a
    request only when its id differs from the last one it handled.
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{token if token is not None else secrets.token_hex(3)}"


def selected_by(runs: Iterable[RunTasks], request: ClearRequest | MarkRequest) -> list[Selected]:
    """The task instances `request` acts on in `runs`: the operator's own selection
    (`cleared_keys` for a clear, `marked_keys` for a mark)."""
    if isinstance(request, ClearRequest):
        clear = request
        return select(runs, lambda status, graph: cleared_keys(status, graph, clear))
    mark = request
    return select(runs, lambda status, graph: marked_keys(status, graph, mark))
