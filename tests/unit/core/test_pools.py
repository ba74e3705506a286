"""Pools as resources: which pool a task takes slots from (a Pool object in its DAG's
namespace, else the operator's default pools), the slots it leaves a run, and the
counts a Pool's status shows."""

from __future__ import annotations

import pytest

from kairflow.core.capacity import free_capacity
from kairflow.core.observations import ObservedRun, SlotUse
from kairflow.core.pools import OPERATOR_WIDE, PoolKey, PoolStats, PoolTable, pool_stats
from tests.unit.core.observed import NS, QUEUED, RUNNING, SUCCESS, run

DEFAULTS = {"default_pool": 128, "db": 4}
ME = run("me", state=RUNNING)


def table(**objects: int) -> PoolTable:
    """The operator's defaults and Pool objects in namespace `team` (NS)."""
    return PoolTable(DEFAULTS, {(NS, name): slots for name, slots in objects.items()})


def holding(name: str, *uses: tuple[str, int], **fields: object) -> ObservedRun:
    fields.setdefault("state", RUNNING)
    return run(name, holding=uses, **fields)  # type: ignore[arg-type]


def waiting(name: str, *uses: tuple[str, int]) -> ObservedRun:
    ready = {f"w{i}": SlotUse(pool, slots) for i, (pool, slots) in enumerate(uses)}
    return run(name, state=RUNNING, waiting=ready)


@pytest.mark.parametrize(
    ("pools", "namespace", "pool", "expected"),
    [
        pytest.param(table(db=2), NS, "db", (NS, "db"), id="a Pool in the DAG's namespace is used"),
        pytest.param(
            table(db=2),
            "other",
            "db",
            (OPERATOR_WIDE, "db"),
            id="a Pool in another namespace is not: the operator's db pool is",
        ),
        pytest.param(
            table(),
            NS,
            "default_pool",
            (OPERATOR_WIDE, "default_pool"),
            id="a task naming no pool takes the operator's default_pool",
        ),
        pytest.param(
            table(default_pool=3),
            NS,
            "default_pool",
            (NS, "default_pool"),
            id="a Pool named default_pool replaces it for its namespace",
        ),
    ],
)
def test_which_pool_a_task_takes_slots_from(
    pools: PoolTable, namespace: str, pool: str, expected: PoolKey
) -> None:
    assert pools.key_of(namespace, pool) == expected


@pytest.mark.parametrize(
    ("pools", "others", "expected"),
    [
        pytest.param(
            table(gpu=2),
            [],
            {"default_pool": 128, "db": 4, "gpu": 2},
            id="a Pool object adds a pool the operator does not know",
        ),
        pytest.param(
            table(db=1),
            [],
            {"default_pool": 128, "db": 1},
            id="a Pool object's slots win over the operator's default for that name",
        ),
        pytest.param(
            table(db=1),
            [holding("other", ("db", 1))],
            {"default_pool": 128, "db": 0},
            id="a Pool with 1 slot held by another run has none left",
        ),
        pytest.param(
            table(db=1),
            [holding("elsewhere", ("db", 3), namespace="other")],
            {"default_pool": 128, "db": 1},
            id="slots of the operator's db pool held in another namespace leave the Pool alone",
        ),
        pytest.param(
            table(),
            [holding("elsewhere", ("db", 3), namespace="other")],
            {"default_pool": 128, "db": 1},
            id="without a Pool object the operator's pools are shared by all namespaces",
        ),
        pytest.param(
            table(db=1),
            [holding("other", ("db", 1), ("db", 1))],
            {"default_pool": 128, "db": -1},
            id="a pool edited down to 1 slot while 2 run has less than nothing left",
        ),
    ],
)
def test_free_pool_slots_with_pool_objects(
    pools: PoolTable, others: list[ObservedRun], expected: dict[str, int]
) -> None:
    assert free_capacity(ME, 16, others, 100, pools).pools == expected


@pytest.mark.parametrize(
    ("pools", "runs", "expected"),
    [
        pytest.param(table(db=2), [], PoolStats(2), id="an idle pool has all its slots open"),
        pytest.param(
            table(db=2),
            [holding("a", ("db", 1)), waiting("b", ("db", 1), ("db", 1))],
            PoolStats(2, occupied_slots=1, running=1, queued=2),
            id="one running and two waiting leave one slot open",
        ),
        pytest.param(
            table(db=4),
            [holding("a", ("db", 3), ("default_pool", 1))],
            PoolStats(4, occupied_slots=3, running=1),
            id="a task taking 3 slots occupies 3 and counts as one running",
        ),
        pytest.param(
            table(db=1),
            [holding("a", ("db", 1), ("db", 1))],
            PoolStats(1, occupied_slots=2, running=2),
            id="a pool edited below what it holds shows no open slots",
        ),
        pytest.param(
            table(db=2),
            [
                holding("done", ("db", 1), state=SUCCESS),
                holding("queued", ("db", 1), state=QUEUED),
                holding("other", ("db", 1), namespace="other"),
            ],
            PoolStats(2),
            id="finished runs, runs not started and other namespaces are not counted",
        ),
    ],
)
def test_pool_status_counts(pools: PoolTable, runs: list[ObservedRun], expected: PoolStats) -> None:
    stats = pool_stats(pools, (NS, "db"), runs)
    assert stats == expected
    assert stats.open_slots == max(0, expected.slots - expected.occupied_slots)


def test_open_slots_never_go_below_zero() -> None:
    assert PoolStats(1, occupied_slots=2).open_slots == 0
