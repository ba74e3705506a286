"""Which task instances a clear or mark touches, shown before it happens.

The selection itself is the operator's (`core.interventions.cleared_keys` /
`marked_keys`), computed here from the same inputs (the run's status and the DAG
snapshot it runs), so the preview lists exactly what the request will act on if the
run does not move in between. Pure: runs come in as the API's dicts.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from rich.table import Table

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.api.types import parse_datetime
from kairflow.cli.errors import UserError
from kairflow.cli.output import table
from kairflow.core.graph import DagGraph, build_graph


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
        ordered += sorted(keys, key=lambda k: status.task_instances[k].map_index or 0)
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
                selected.append(Selected(run.name, key, ti.state.value, ti.try_number))
    return selected


def unmatched_patterns(patterns: Sequence[str], task_names: Iterable[str]) -> list[str]:
    """The patterns that match no task (a typo the user should hear about)."""
    names = list(task_names)
    return [p for p in patterns if not any(fnmatchcase(n, p) for n in names)]


def check_patterns(patterns: Sequence[str], task_names: Sequence[str], dag: str) -> None:
    """A UserError naming the patterns that match nothing, and the DAG's tasks."""
    unmatched = unmatched_patterns(patterns, task_names)
    if unmatched:
        quoted = ", ".join(repr(p) for p in unmatched)
        raise UserError(
            f"{quoted} matches no task of DAG {dag!r} (its tasks: {', '.join(task_names)})"
        )


def preview(selected: Sequence[Selected]) -> Table:
    """The list a user confirms: run, task instance, its state and try now."""
    out = table("run", "task instance", "state", "try")
    for item in selected:
        out.add_row(item.run, item.key, item.state, str(item.try_number))
    return out


def count_words(selected: Sequence[Selected]) -> str:
    """`3 task instances in 2 runs` (the question's and the summary's wording)."""
    runs = len({s.run for s in selected})
    instances = "task instance" if len(selected) == 1 else "task instances"
    return f"{len(selected)} {instances} in {runs} {'run' if runs == 1 else 'runs'}"


def request_id(now: datetime, token: str | None = None) -> str:
    """A new request id: the UTC time to the microsecond, then a random suffix.

    Ids sort by when they were made (handy in `kubectl get -o yaml`), and the suffix
    keeps two requests made in the same microsecond apart: the operator applies a
    request only when its id differs from the last one it handled.
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{token if token is not None else secrets.token_hex(3)}"


def parse_bound(text: str | None, flag: str) -> datetime | None:
    """A --from/--to date: ISO-8601 or YYYY-MM-DD; without a zone it is UTC."""
    if text is None:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def logical_date(run: dict[str, Any]) -> datetime | None:
    """The run's logical date: the operator's resolved one, else the one asked for."""
    text = (run.get("status") or {}).get("logicalDate") or (run.get("spec") or {}).get(
        "logicalDate"
    )
    if not text:
        return None
    moment = parse_datetime(str(text))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def runs_in_range(
    runs: Iterable[dict[str, Any]], dag: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """The DAG's runs whose logical date lies in [start, end] (either bound optional),
    oldest first. A run without a logical date yet is in range only when no bound is
    given."""
    picked: list[tuple[datetime, str, dict[str, Any]]] = []
    for run in runs:
        if (run.get("spec") or {}).get("dagName") != dag:
            continue
        when = logical_date(run)
        if when is None:
            if start is None and end is None:
                picked.append((datetime.max.replace(tzinfo=UTC), run["metadata"]["name"], run))
            continue
        if (start is None or when >= start) and (end is None or when <= end):
            picked.append((when, run["metadata"]["name"], run))
    return [run for _, _, run in sorted(picked, key=lambda item: (item[0], item[1]))]
