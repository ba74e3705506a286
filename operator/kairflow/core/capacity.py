"""Free task slots for one run: Airflow's parallelism, max_active_tasks and pools.

Capacity is what every *other* running run leaves free (the planner subtracts what
the run itself holds), so planning a run twice with the same cluster gives the same
answer. Slots are claimed by the planned status entering the controller's cache;
`claim_still_valid` says whether a plan made with one capacity may be claimed after
others claimed theirs meanwhile (plans run off the event loop, concurrently).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.observations import ObservedRun
from kairflow.core.run_model import Capacity

TI = TaskInstanceState
_ACTIVE = (TI.QUEUED, TI.RUNNING)


def free_capacity(
    run: ObservedRun,
    max_active_tasks: int,
    runs: Iterable[ObservedRun],
    parallelism: int,
    pools: Mapping[str, int],
) -> Capacity:
    """Slots left for `run` by every other running run (of every DAG and namespace):
    the operator's parallelism, its DAG's maxActiveTasks, and each pool's size."""
    total = same_dag = 0
    pool_used: dict[str, int] = defaultdict(int)
    for other in runs:
        if other.state != DagRunState.RUNNING or (other.namespace, other.name) == (
            run.namespace,
            run.name,
        ):
            continue
        total += len(other.holding)
        if (other.namespace, other.dag_name) == (run.namespace, run.dag_name):
            same_dag += len(other.holding)
        for use in other.holding:
            pool_used[use.pool] += use.slots
    slots = min(parallelism - total, max_active_tasks - same_dag)
    return Capacity(
        slots=max(0, slots), pools={name: size - pool_used[name] for name, size in pools.items()}
    )


def _active(status: DagRunStatus) -> set[str]:
    return {k for k, ti in status.task_instances.items() if ti.state in _ACTIVE}


def claim_still_valid(
    before: DagRunStatus, planned: DagRunStatus, planned_with: Capacity, now: Capacity
) -> bool:
    """A plan that starts no task instance claims nothing and is always valid; one
    that starts some is valid only if the capacity it was made with still holds."""
    if not _active(planned) - _active(before):
        return True
    return planned_with == now
