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
from kairflow.core.observations import ObservedRun, SlotUse
from kairflow.core.pools import PoolTable, pools_used
from kairflow.core.run_model import Capacity
from kairflow.core.task_settings import DEFAULT_POOL

TI = TaskInstanceState
_ACTIVE = (TI.QUEUED, TI.RUNNING)


def free_capacity(
    run: ObservedRun,
    max_active_tasks: int,
    runs: Iterable[ObservedRun],
    parallelism: int,
    pools: PoolTable,
) -> Capacity:
    """Slots left for `run` by every other running run (of every DAG and namespace):
    the operator's parallelism, its DAG's maxActiveTasks, and the free slots of each
    pool its tasks may name (negative when a pool was edited below what it holds)."""
    total = same_dag = 0
    others = [
        other for other in runs if other.state == DagRunState.RUNNING and other.key != run.key
    ]
    for other in others:
        total += len(other.holding)
        if (other.namespace, other.dag_name) == (run.namespace, run.dag_name):
            same_dag += len(other.holding)
    used = pools_used(others, pools)
    slots = min(parallelism - total, max_active_tasks - same_dag)
    return Capacity(
        slots=max(0, slots),
        pools={
            name: (pools.slots(key) or 0) - used.get(key, 0)
            for name, key in pools.seen_from(run.namespace).items()
        },
    )


def _active(status: DagRunStatus) -> set[str]:
    return {k for k, ti in status.task_instances.items() if ti.state in _ACTIVE}


def claim_still_valid(
    before: DagRunStatus,
    planned: DagRunStatus,
    now: Capacity,
    max_active_tasks: int,
    slots_of: Mapping[str, SlotUse],
    may_start_now: bool,
) -> bool:
    """May a plan made a moment ago be claimed now, after other runs claimed theirs?

    It may if what it takes still fits: a run it starts (queued -> running) is still
    admitted (maxActiveRuns), and if it starts task instances, all it then holds fits
    the free slots and each pool's free slots as they are now. A plan that starts
    nothing new takes nothing and is always valid. `slots_of`: task -> the pool
    slots one of its instances holds."""
    started_run = planned.state == DagRunState.RUNNING and before.state != DagRunState.RUNNING
    if started_run and not may_start_now:
        return False
    holding = _active(planned)
    if not holding - _active(before):
        return True
    if len(holding) > min(now.slots, max_active_tasks):
        return False
    if now.pools is None:
        return True
    used: dict[str, int] = defaultdict(int)
    for key in holding:
        use = slots_of.get(key.split("[", 1)[0], SlotUse(DEFAULT_POOL, 1))
        used[use.pool] += use.slots
    return all(slots <= now.pools.get(pool, 0) for pool, slots in used.items())
