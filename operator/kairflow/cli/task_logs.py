"""Which pod holds the log of one try of a task instance, and reading it.

Pod names are deterministic (`core.naming.pod_name`), so every try's pod is known
without listing pods; the status's `pod` is used for the current try, since a
reschedule-mode sensor's later pokes run in pods of their own (`...-poke<n>`).
Earlier tries of such a sensor show their first poke's pod.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kubernetes.client.exceptions import ApiException

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.cli.errors import EXIT_NOT_FOUND, EXIT_USAGE, UserError
from kairflow.cli.kube import Cluster, api_error
from kairflow.core.graph import DagGraph
from kairflow.core.map_window import is_rest, stands_for
from kairflow.core.naming import pod_name, ti_key
from kairflow.requests.task_selection import task_of

_INSTANCE = re.compile(r"(?P<name>[^\[\]]+)(\[(?P<index>\d+)\])?")
TI = TaskInstanceState


def parse_instance(text: str) -> tuple[str, int | None]:
    """`extract` -> ("extract", None); `process[3]` -> ("process", 3)."""
    match = _INSTANCE.fullmatch(text.strip())
    if match is None:
        raise UserError(f"{text!r} is not a task instance: write TASK or TASK[INDEX]")
    index = match.group("index")
    return match.group("name"), int(index) if index is not None else None


@dataclass(frozen=True)
class LogOf:
    """One try of one task instance, and the pod its log is in."""

    key: str
    try_number: int
    pod: str


def _instance(
    run: str, status: DagRunStatus, graph: DagGraph | None, name: str, index: int | None
) -> tuple[str, TaskInstanceStatus]:
    tasks = list(graph.order) if graph else sorted({task_of(k) for k in status.task_instances})
    if name not in tasks:
        known = ", ".join(tasks) if tasks else "none yet, the run has not started"
        raise UserError(f"run {run} has no task {name!r} (its tasks: {known})", EXIT_NOT_FOUND)
    mapped = sorted(
        ti.map_index or 0 for k, ti in status.task_instances.items() if k.startswith(f"{name}[")
    )
    rest = status.task_instances.get(name)
    waiting = rest if rest is not None and is_rest(rest) else None
    count = len(mapped) + (stands_for(waiting) if waiting else 0)
    is_mapped = bool(mapped) or bool(graph and graph.tasks[name].expand)
    if is_mapped and index is None:
        raise UserError(
            f"task {name!r} is mapped ({count:,} instances): "
            f"write {name}[INDEX] or pass --map-index"
        )
    if not is_mapped and index is not None:
        raise UserError(f"task {name!r} is not mapped: leave out the map index")
    key = ti_key(name, index)
    ti = status.task_instances.get(key)
    if ti is None:
        if is_mapped:
            if waiting and (waiting.map_next or 0) <= (index or 0) < (waiting.map_length or 0):
                raise UserError(
                    f"task instance {key} is not created yet: mapped instances are created "
                    "as earlier ones finish",
                    EXIT_NOT_FOUND,
                )
            raise UserError(
                f"task {name!r} has no mapped instance {index} ({count:,} instances)",
                EXIT_NOT_FOUND,
            )
        raise UserError(f"task instance {key} has not run: the run has not started", EXIT_NOT_FOUND)
    return key, ti


def instance_of(
    run: str,
    status: DagRunStatus,
    graph: DagGraph | None,
    instance: str,
    map_index: int | None = None,
) -> tuple[str, TaskInstanceStatus]:
    """The key and status of `instance` (TASK or TASK[I], or TASK with `map_index`)."""
    name, index = parse_instance(instance)
    if index is not None and map_index is not None and index != map_index:
        raise UserError(f"{instance} and --map-index {map_index} name different instances")
    return _instance(run, status, graph, name, index if index is not None else map_index)


def log_of(
    run: str,
    status: DagRunStatus,
    graph: DagGraph | None,
    instance: str,
    map_index: int | None = None,
    try_number: int | None = None,
) -> LogOf:
    """The pod of the asked try (default: the latest) of `instance` (TASK or TASK[I])
    of run `run`; a UserError that says why when there is none."""
    key, ti = instance_of(run, status, graph, instance, map_index)
    tries = ti.try_number
    if tries == 0:
        why = f": {ti.message}" if ti.message else ""
        raise UserError(
            f"task instance {key} has not run yet (state {ti.state.value}{why})", EXIT_NOT_FOUND
        )
    chosen = tries if try_number is None else try_number
    if not 1 <= chosen <= tries:
        had = "1 try" if tries == 1 else f"{tries} tries"
        raise UserError(f"task {key} has had {had}; --try must be 1..{tries}", EXIT_USAGE)
    return LogOf(key, chosen, pod_of(run, key, ti, chosen))


def pod_of(run: str, key: str, ti: TaskInstanceStatus, try_number: int) -> str:
    """The pod of try `try_number` of task instance `key` of run `run`."""
    if try_number == ti.try_number and ti.pod:
        return ti.pod
    return pod_name(run, task_of(key), try_number, ti.map_index)


def header(key: str, ti: TaskInstanceStatus | None) -> str:
    """`==> extract (try 1, success) <==`, or the state of an instance that never ran."""
    if ti is None or ti.try_number == 0:
        state = ti.state.value if ti else TI.NONE.value
        return f"==> {key} ({state}, never ran) <=="
    return f"==> {key} (try {ti.try_number}, {ti.state.value}) <=="


def gone(target: LogOf) -> str:
    return (
        f"the pod {target.pod} of {target.key} try {target.try_number} no longer exists "
        "(deleted by the operator's pod cleanup, or by hand)"
    )


def _wait_started(cluster: Cluster, pod: str) -> None:
    """Until the pod has left Pending: a pod's log can be followed only once its
    container started."""
    while True:
        try:
            found = cluster.core.read_namespaced_pod(pod, cluster.namespace)
        except ApiException as exc:
            raise api_error(exc, f'pod "{pod}"', cluster.namespace) from None
        if ((found.status and found.status.phase) or "Pending") != "Pending":
            return
        time.sleep(0.5)


def read_log(cluster: Cluster, target: LogOf, *, follow: bool = False) -> Iterator[str]:
    """The pod's log in chunks (following it while the pod runs, with `follow`)."""
    try:
        if follow:
            _wait_started(cluster, target.pod)
        yield from cluster.pod_log(target.pod, follow=follow)
    except UserError as exc:
        if exc.exit_code == EXIT_NOT_FOUND:
            raise UserError(gone(target), EXIT_NOT_FOUND) from None
        raise
