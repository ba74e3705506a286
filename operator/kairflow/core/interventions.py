"""What users ask of a run: clear task instances, or mark them success/failed.

Requests live in the DagRun's spec with an `id`; a request is applied once, when
its id differs from the one recorded in status (so `kubectl apply` of the same
request twice does nothing new). Pure: returns the pods to delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fnmatch import fnmatchcase

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import ClearRequest, DagRunStatus, MarkRequest, TaskInstanceStatus
from kairflow.core.graph import DagGraph, build_graph
from kairflow.core.setup_teardown import clear_closure
from kairflow.core.task_settings import TaskPolicy, effective_task
from kairflow.core.times import iso

TI = TaskInstanceState
_FAILED = (TI.FAILED, TI.UPSTREAM_FAILED)


def matching_tasks(graph: DagGraph, patterns: list[str]) -> set[str]:
    """Task names matching any shell-style pattern (all tasks when none are given); a
    pattern matching a task group's id selects every task of the group (Airflow's clear
    of a TaskGroup), nested groups' included."""
    if not patterns:
        return set(graph.order)
    found = {name for name in graph.order if any(fnmatchcase(name, p) for p in patterns)}
    for group, tasks in graph.groups.items():
        if any(fnmatchcase(group, p) for p in patterns):
            found.update(tasks)
    return found


def _keys(status: DagRunStatus, names: set[str]) -> list[str]:
    return [k for k in status.task_instances if k.split("[", 1)[0] in names]


def cleared_keys(status: DagRunStatus, graph: DagGraph, request: ClearRequest) -> list[str]:
    """The task instances a clear request resets, in status order (what Airflow's
    clear dialog lists before it acts; the CLI shows the same list). Like Airflow's,
    it includes the setups and teardowns of the work it clears."""
    matched = matching_tasks(graph, request.tasks)
    # Airflow's partial_subset: a cleared work task takes its setups and teardowns along.
    names = clear_closure(graph, matched, request.downstream, request.upstream)
    return [
        key
        for key in _keys(status, names)
        if not request.only_failed or status.task_instances[key].state in _FAILED
    ]


def marked_keys(status: DagRunStatus, graph: DagGraph, request: MarkRequest) -> list[str]:
    """The task instances a mark request sets, in status order."""
    return _keys(status, matching_tasks(graph, request.tasks))


def apply_clear(
    status: DagRunStatus, graph: DagGraph, request: ClearRequest, retries: Mapping[str, int]
) -> list[str]:
    """Reset the selected task instances so they run again; tries continue (each gets
    its full retries again, like Airflow's clear). Returns pods to delete."""
    doomed: list[str] = []
    cleared = 0
    for key in cleared_keys(status, graph, request):
        ti = status.task_instances[key]
        if ti.state in (TI.QUEUED, TI.RUNNING) and ti.pod:
            doomed.append(ti.pod)
        retries_left = retries.get(key.split("[", 1)[0], 0)
        status.task_instances[key] = TaskInstanceStatus(
            try_number=ti.try_number,
            max_tries=ti.try_number + 1 + retries_left,
            map_index=ti.map_index,
            map_length=ti.map_length,
            map_next=ti.map_next,
            message=f"cleared (request {request.id})",
        )
        cleared += 1
    if cleared and status.state is not None and status.state.finished:
        # Like Airflow's clear: the run goes back to queued (so maxActiveRuns applies)
        # and gets a new start date.
        _reopen(status, DagRunState.QUEUED)
    status.handled_clear = request.id
    return doomed


def apply_mark(
    status: DagRunStatus, graph: DagGraph, request: MarkRequest, now: datetime
) -> list[str]:
    """Set the selected task instances to success or failed. Returns pods to delete."""
    if request.state not in (TI.SUCCESS, TI.FAILED):
        status.handled_mark = request.id
        status.message = f"mark request {request.id}: only success or failed can be set"
        return []
    doomed: list[str] = []
    for key in marked_keys(status, graph, request):
        ti = status.task_instances[key]
        if ti.state in (TI.QUEUED, TI.RUNNING) and ti.pod:
            doomed.append(ti.pod)
        ti.state = request.state
        ti.end_date = iso(now)
        ti.next_try_at = None
        ti.message = f"marked {request.state.value} by request {request.id}"
    if status.state is not None and status.state.finished:
        # The run's state follows its task instances again (settled on the next pass).
        _reopen(status, DagRunState.RUNNING)
    status.handled_mark = request.id
    return doomed


def _reopen(status: DagRunStatus, state: DagRunState) -> None:
    status.state = state
    if state == DagRunState.QUEUED:
        status.start_date = None
    status.end_date = None
    status.duration = None
    status.message = None


def requests_pending(
    status: DagRunStatus, clear: ClearRequest | None, mark: MarkRequest | None
) -> bool:
    """Whether the run has a clear or mark request not handled yet."""
    return (clear is not None and clear.id != status.handled_clear) or (
        mark is not None and mark.id != status.handled_mark
    )


def apply_requests(
    status: DagRunStatus,
    spec: DAGSpec,
    clear: ClearRequest | None,
    mark: MarkRequest | None,
    now: datetime,
) -> list[str]:
    """Apply the run's clear and mark requests not handled yet (in that order), in
    place. Returns the pods to delete (of task instances cleared or marked while
    they ran)."""
    if not requests_pending(status, clear, mark):
        return []
    new_clear = clear is not None and clear.id != status.handled_clear
    new_mark = mark is not None and mark.id != status.handled_mark
    graph = build_graph(spec)
    doomed: list[str] = []
    if clear is not None and new_clear:
        retries = {
            n: TaskPolicy.of(effective_task(spec, t)).retries for n, t in graph.tasks.items()
        }
        doomed += apply_clear(status, graph, clear, retries)
    if mark is not None and new_mark:
        doomed += apply_mark(status, graph, mark, now)
    return doomed
