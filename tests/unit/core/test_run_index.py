"""The planner pass's indexes: a task's instances and the run's XComs, as a fresh scan
of the pass's status would give them."""

from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus
from kairflow.core.resolved_dag import ResolvedDag
from kairflow.core.run_model import Capacity, PlannerSettings
from kairflow.core.run_state import RunPass
from tests.unit.core.planner_harness import T0, make_run, make_spec

SPEC = make_spec(
    [{"name": "a"}, {"name": "b"}, {"name": "m", "expand": {"items": [1, 2, 3]}}], ["a >> b"]
)


def a_pass(instances: dict[str, TaskInstanceStatus]) -> RunPass:
    return RunPass(
        run=make_run(SPEC),
        status=DagRunStatus(task_instances=instances),
        dag=ResolvedDag.of(SPEC),
        pods={},
        now=T0,
        previous=None,
        previous_success=None,
        capacity=Capacity(),
        settings=PlannerSettings(),
    )


def ti(state: TI = TI.NONE, xcom: Any = None, index: int | None = None) -> TaskInstanceStatus:
    return TaskInstanceStatus(state=state, xcom=xcom, map_index=index)


@pytest.mark.parametrize(
    ("instances", "xcoms"),
    [
        pytest.param(
            {"a": ti(TI.SUCCESS, {"n": 1}), "b": ti(TI.FAILED, "lost")},
            {"a": {"n": 1}},
            id="only a task that succeeded has an XCom",
        ),
        pytest.param(
            {"a": ti(TI.SUCCESS), "b": ti(TI.RUNNING)},
            {"a": None},
            id="a task that succeeded without writing one has null",
        ),
        pytest.param(
            {"m[1]": ti(TI.FAILED, "y", 1), "m[0]": ti(TI.SUCCESS, "x", 0)},
            {"m": ["x", "y"]},
            id="a mapped task has its instances' XComs in map index order once all finished",
        ),
        pytest.param(
            {"m[0]": ti(TI.SUCCESS, "x", 0), "m[1]": ti(TI.RUNNING, None, 1)},
            {},
            id="a mapped task with an unfinished instance has none",
        ),
        pytest.param(
            {"gone": ti(TI.SUCCESS, "old"), "a": ti(TI.SUCCESS, 1)},
            {"a": 1},
            id="a task no longer in the DAG has none",
        ),
    ],
)
def test_xcoms_of_a_run(instances: dict[str, TaskInstanceStatus], xcoms: dict[str, Any]) -> None:
    state = a_pass(instances)
    assert dict(state.xcoms()) == xcoms
    assert len(state.xcoms()) == len(xcoms)


def test_xcoms_follow_the_states_the_pass_changes() -> None:
    state = a_pass({f"m[{i}]": ti(TI.RUNNING, None, i) for i in range(3)})
    xcoms = state.xcoms()
    assert "m" not in xcoms
    for key in ("m[0]", "m[1]", "m[2]"):
        state.status.task_instances[key].xcom = key
        state.set_state(key, TI.SUCCESS)
    assert xcoms["m"] == ["m[0]", "m[1]", "m[2]"]


def test_instances_follow_a_new_key_set() -> None:
    state = a_pass({"m": ti(), "a": ti()})
    assert list(state.instances("m")) == ["m"]
    state.status.task_instances = {"a": ti(), "m[1]": ti(index=1), "m[0]": ti(index=0)}
    assert list(state.instances("m")) == ["m[0]", "m[1]"]
    state.status.task_instances["m[2]"] = ti(index=2)
    assert list(state.instances("m")) == ["m[0]", "m[1]", "m[2]"]
    assert list(state.instances("b")) == []
