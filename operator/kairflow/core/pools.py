"""Which pool a task instance takes slots from, and each pool's counts.

A task names a pool by name. A Pool object of that name in its DAG's namespace is
that pool; otherwise the operator's default pools (`--pools`, default_pool) are,
shared by every namespace as before Pools were resources. Slots are read at every
planning pass, so an edited Pool takes effect at once; a pool edited below what it
holds only stops admitting (its free slots go negative), it never stops a task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kairflow.api.common import DagRunState
from kairflow.api.dag import DAGSpec
from kairflow.core.observations import ObservedRun, SlotUse, snapshot_facts

OPERATOR_WIDE = ""
"""The namespace part of the key of an operator default pool (no Pool object)."""

PoolKey = tuple[str, str]
"""(namespace, pool name); namespace OPERATOR_WIDE for the operator's default pools."""


@dataclass(frozen=True)
class PoolTable:
    """Every pool's size: the operator's defaults and the Pool objects."""

    defaults: Mapping[str, int] = field(default_factory=dict)
    """The operator's pools by name (default_pool included)."""
    objects: Mapping[PoolKey, int] = field(default_factory=dict)
    """Pool objects' slots by (namespace, name)."""

    def key_of(self, namespace: str, pool: str) -> PoolKey:
        """The pool a task of a DAG in `namespace` naming `pool` takes slots from."""
        return (namespace, pool) if (namespace, pool) in self.objects else (OPERATOR_WIDE, pool)

    def slots(self, key: PoolKey) -> int | None:
        """The pool's size; None when there is no such pool."""
        if key[0] == OPERATOR_WIDE:
            return self.defaults.get(key[1])
        return self.objects.get(key)

    def seen_from(self, namespace: str) -> dict[str, PoolKey]:
        """Pool name -> the pool it means for the DAGs of `namespace`."""
        names = set(self.defaults) | {name for ns, name in self.objects if ns == namespace}
        return {name: self.key_of(namespace, name) for name in names}


def pools_used(runs: Iterable[ObservedRun], table: PoolTable) -> dict[PoolKey, int]:
    """Slots held per pool by the task instances of running runs."""
    used: dict[PoolKey, int] = {}
    for run in runs:
        if run.state != DagRunState.RUNNING:
            continue
        for use in run.holding.values():
            key = table.key_of(run.namespace, use.pool)
            used[key] = used.get(key, 0) + use.slots
    return used


@dataclass(frozen=True)
class PoolStats:
    """What a Pool's status says (Airflow's pool view: slots, running, queued, open)."""

    slots: int
    occupied_slots: int = 0
    running: int = 0
    """Task instances holding slots (queued or running)."""
    queued: int = 0
    """Task instances ready to run, waiting for a slot."""

    @property
    def open_slots(self) -> int:
        return max(0, self.slots - self.occupied_slots)


def _in(table: PoolTable, run: ObservedRun, uses: Mapping[str, SlotUse], key: PoolKey) -> list[int]:
    return [u.slots for u in uses.values() if table.key_of(run.namespace, u.pool) == key]


def pool_stats(table: PoolTable, key: PoolKey, runs: Iterable[ObservedRun]) -> PoolStats:
    """The counts of one pool over every run (only running runs hold or wait)."""
    occupied = running = queued = 0
    for run in runs:
        if run.state != DagRunState.RUNNING:
            continue
        held = _in(table, run, run.holding, key)
        occupied += sum(held)
        running += len(held)
        queued += len(_in(table, run, run.waiting, key))
    return PoolStats(table.slots(key) or 0, occupied, running, queued)


UNLIMITED = 1 << 31


def local_pools(spec: DAGSpec, pools: Mapping[str, int]) -> dict[str, int]:
    """Pool sizes for one local run (`dags test`): the pools given (the Pool objects
    in the DAG's file), every other pool its tasks name unlimited, as `dags test`
    has no operator and no other runs to share them with."""
    named = {use.pool for use in snapshot_facts(spec).slots.values()}
    return {name: pools.get(name, UNLIMITED) for name in named | set(pools)}
