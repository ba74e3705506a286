"""Free slots for one run: parallelism, the DAG's maxActiveTasks and pool sizes, left
by every other running run; and whether a plan may still claim what it counted on."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core.capacity import claim_still_valid, free_capacity
from kairflow.core.observations import ObservedRun
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
    assert free_capacity(ME, max_active_tasks, others, parallelism, POOLS) == expected


def status(**states: TI) -> DagRunStatus:
    return DagRunStatus(
        task_instances={name: TaskInstanceStatus(state=s) for name, s in states.items()}
    )


FULL = Capacity(slots=4, pools={"db": 2})
TAKEN = Capacity(slots=3, pools={"db": 2})
POOL_TAKEN = Capacity(slots=4, pools={"db": 1})


@pytest.mark.parametrize(
    ("before", "planned", "now", "valid"),
    [
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.SCHEDULED),
            TAKEN,
            True,
            id="a plan that starts nothing is valid whatever others claimed meanwhile",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            FULL,
            True,
            id="a plan that starts a task instance is valid while the capacity is unchanged",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            TAKEN,
            False,
            id="a plan that starts a task instance is stale once others took task slots",
        ),
        pytest.param(
            status(a=TI.NONE),
            status(a=TI.QUEUED),
            POOL_TAKEN,
            False,
            id="a plan that starts a task instance is stale once others took pool slots",
        ),
        pytest.param(
            status(a=TI.RUNNING, b=TI.NONE),
            status(a=TI.RUNNING, b=TI.NONE),
            TAKEN,
            True,
            id="a task instance that ran already before the plan is no new claim",
        ),
        pytest.param(
            status(a=TI.RUNNING),
            status(a=TI.SUCCESS),
            TAKEN,
            True,
            id="a plan that only gives slots back is valid",
        ),
        pytest.param(
            status(),
            status(a=TI.RUNNING),
            TAKEN,
            False,
            id="a task instance that appears running counts as a start",
        ),
    ],
)
def test_claim_still_valid(
    before: DagRunStatus, planned: DagRunStatus, now: Capacity, valid: bool
) -> None:
    assert claim_still_valid(before, planned, FULL, now) is valid
