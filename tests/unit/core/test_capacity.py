"""Free slots for one run: parallelism, the DAG's maxActiveTasks and pool sizes, left
by every other running run; and whether a plan may still claim what it counted on."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.common import DagRunState
from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core.capacity import claim_still_valid, free_capacity
from kairflow.core.observations import ObservedRun, SlotUse
from kairflow.core.pools import PoolTable
from kairflow.core.run_model import Capacity
from tests.unit.core.observed import QUEUED, RUNNING, SUCCESS, run

ME = run("me", state=RUNNING, holding=(("default_pool", 1),) * 2)
POOLS = {"default_pool": 128, "db": 4}


def holding(name: str, *uses: tuple[str, int], **fields: Any) -> ObservedRun:
    """A running run (unless `state` says otherwise) whose task instances hold `uses`."""
    fields.setdefault("state", RUNNING)
    return run(name, holding=uses, **fields)


@pytest.mark.parametrize(
    ("others", "parallelism", "max_active_tasks", "expected"),
    [
        pytest.param(
            [],
            32,
            16,
            Capacity(slots=16, pools=POOLS),
            id="nothing else running leaves the smaller of parallelism and maxActiveTasks",
        ),
        pytest.param(
            [],
            8,
            16,
            Capacity(slots=8, pools=POOLS),
            id="parallelism below maxActiveTasks is the limit",
        ),
        pytest.param(
            [holding("other", ("default_pool", 1), ("default_pool", 1), dag_name="reports")],
            10,
            16,
            Capacity(slots=8, pools={"default_pool": 126, "db": 4}),
            id="task instances of another DAG count against parallelism, not maxActiveTasks",
        ),
        pytest.param(
            [holding("sibling", ("default_pool", 1), ("db", 1), ("db", 1))],
            100,
            5,
            Capacity(slots=2, pools={"default_pool": 127, "db": 2}),
            id="task instances of the same DAG count against maxActiveTasks",
        ),
        pytest.param(
            [holding("sibling", ("db", 3))],
            100,
            16,
            Capacity(slots=15, pools={"default_pool": 128, "db": 1}),
            id="a task taking 3 pool slots takes 3 of its pool and one task slot",
        ),
        pytest.param(
            [ME],
            100,
            16,
            Capacity(slots=16, pools=POOLS),
            id="the run's own task instances are not counted (the planner subtracts them)",
        ),
        pytest.param(
            [
                holding("queued", ("db", 1), state=QUEUED),
                holding("done", ("db", 1), state=SUCCESS),
                holding("new", ("db", 1), state=None),
            ],
            100,
            16,
            Capacity(slots=16, pools=POOLS),
            id="pools count slots of running runs only",
        ),
        pytest.param(
            [holding("me", ("db", 2), namespace="elsewhere")],
            10,
            16,
            Capacity(slots=9, pools={"default_pool": 128, "db": 2}),
            id="a run of the same name and DAG in another namespace is another run",
        ),
        pytest.param(
            [holding("b", ("db", 1), namespace="elsewhere")],
            100,
            1,
            Capacity(slots=1, pools={"default_pool": 128, "db": 3}),
            id="a DAG of the same name in another namespace leaves maxActiveTasks alone",
        ),
        pytest.param(
            [holding("other", ("gpu", 2), dag_name="train")],
            100,
            16,
            Capacity(slots=16, pools=POOLS),
            id="slots of pools the operator does not know are not reported",
        ),
        pytest.param(
            [holding("sibling", *[("db", 1)] * 6)],
            3,
            16,
            Capacity(slots=0, pools={"default_pool": 128, "db": -2}),
            id="slots never go below zero after the limits were lowered",
        ),
    ],
)
def test_free_capacity(
    others: list[ObservedRun], parallelism: int, max_active_tasks: int, expected: Capacity
) -> None:
    assert free_capacity(ME, max_active_tasks, others, parallelism, PoolTable(POOLS)) == expected


def status(**states: TI) -> DagRunStatus:
    return DagRunStatus(
        task_instances={name: TaskInstanceStatus(state=s) for name, s in states.items()}
    )


FULL = Capacity(slots=4, pools={"db": 2, "default_pool": 128})
ONE_LEFT = Capacity(slots=1, pools={"db": 2, "default_pool": 128})
NONE_LEFT = Capacity(slots=0, pools={"db": 2, "default_pool": 128})
POOL_FULL = Capacity(slots=4, pools={"db": 0, "default_pool": 128})
SLOTS = {"a": SlotUse("db", 1), "b": SlotUse("default_pool", 1)}
RUNNING_RUN = DagRunState.RUNNING


def run_status(state: DagRunState | None, **states: TI) -> DagRunStatus:
    done = status(**states)
    done.state = state
    return done


@pytest.mark.parametrize(
    ("before", "planned", "now", "max_active_tasks", "admitted", "valid"),
    [
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.SCHEDULED),
            NONE_LEFT,
            16,
            True,
            True,
            id="a plan that starts nothing is valid whatever others claimed meanwhile",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            FULL,
            16,
            True,
            True,
            id="a plan that starts a task instance is valid while it fits",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            ONE_LEFT,
            16,
            True,
            True,
            id="others took slots meanwhile, but what the plan starts still fits",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            NONE_LEFT,
            16,
            True,
            False,
            id="a plan that starts a task instance is stale once no slot is left",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            POOL_FULL,
            16,
            True,
            False,
            id="a plan that starts a task instance is stale once its pool is full",
        ),
        pytest.param(
            status(a=TI.NONE, b=TI.NONE),
            status(a=TI.NONE, b=TI.QUEUED),
            POOL_FULL,
            16,
            True,
            True,
            id="a full pool the plan does not use does not matter",
        ),
        pytest.param(
            status(a=TI.RUNNING, b=TI.NONE),
            status(a=TI.RUNNING, b=TI.QUEUED),
            FULL,
            1,
            True,
            False,
            id="what the run holds after the plan must fit its DAG's maxActiveTasks",
        ),
        pytest.param(
            status(a=TI.RUNNING),
            status(a=TI.SUCCESS),
            NONE_LEFT,
            16,
            True,
            True,
            id="a plan that only gives slots back is valid",
        ),
        pytest.param(
            status(),
            status(a=TI.RUNNING),
            NONE_LEFT,
            16,
            True,
            False,
            id="a task instance that appears running counts as a start",
        ),
        pytest.param(
            run_status(DagRunState.QUEUED),
            run_status(RUNNING_RUN),
            FULL,
            16,
            False,
            False,
            id="a plan that starts the run is stale once maxActiveRuns no longer admits it",
        ),
        pytest.param(
            run_status(None),
            run_status(RUNNING_RUN),
            FULL,
            16,
            True,
            True,
            id="a plan that starts the run is valid while the run is still admitted",
        ),
        pytest.param(
            run_status(RUNNING_RUN),
            run_status(RUNNING_RUN),
            FULL,
            16,
            False,
            True,
            id="a run already running needs no admission",
        ),
    ],
)
def test_claim_still_valid(
    before: DagRunStatus,
    planned: DagRunStatus,
    now: Capacity,
    max_active_tasks: int,
    admitted: bool,
    valid: bool,
) -> None:
    assert claim_still_valid(before, planned, now, max_active_tasks, SLOTS, admitted) is valid
