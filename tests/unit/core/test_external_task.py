"""externalTask (Airflow's ExternalTaskSensor), decided by the planner: rows are a
pass over a run of `d` (logical date 2024-01-01) whose one task watches `other`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.core.deferred import Surroundings
from kairflow.core.observations import ObservedRun
from tests.unit.core.observed import dag as observed_dag
from tests.unit.core.observed import run as observed_run
from tests.unit.core.planner_harness import T0, Simulation, make_run, make_spec

TI = TaskInstanceState
OK, FAILED, SKIPPED, RUNNING = TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.RUNNING


def other(
    logical: str = "2024-01-01", state: DagRunState | None = DagRunState.RUNNING, **tasks: TI
) -> ObservedRun:
    return observed_run(
        f"other-{logical}", dag_name="other", logical=logical, state=state, tasks=tasks
    )


def simulate(watch: dict[str, Any], *runs: ObservedRun, **sensor: Any) -> Simulation:
    task: dict[str, Any] = {"name": "wait", "externalTask": {"dag": "other", **watch}}
    if sensor:
        task["sensor"] = sensor
    surroundings = Surroundings(dags={"other": observed_dag()}, runs={"other": list(runs)})
    return Simulation(make_run(make_spec([task])), surroundings=surroundings)


@pytest.mark.parametrize(
    ("watch", "runs", "state", "message"),
    [
        pytest.param(
            {"task": "load"}, [other(load=OK)], "success", "load of other-2024-01-01: success",
            id="the other run's task succeeded: the sensor succeeds",
        ),
        pytest.param(
            {"task": "load"}, [other(load=RUNNING)], "deferred",
            "waiting for load of other-2024-01-01 (load running)",
            id="the other run's task still runs: it waits, saying so",
        ),
        pytest.param(
            {"task": "load"}, [other("2023-12-31", load=OK)], "deferred",
            "waiting for a run of other with logical date 2024-01-01T00:00:00+00:00",
            id="a run of another logical date does not count",
        ),
        pytest.param(
            {"task": "load", "executionDelta": "1d"}, [other("2023-12-31", load=OK)], "success",
            "load of other-2023-12-31",
            id="executionDelta looks at the run that much earlier",
        ),
        pytest.param(
            {"task": "load"}, [other(extract=OK)], "deferred", "(not there yet)",
            id="a task the other run does not have yet: it waits",
        ),
        pytest.param(
            {"task": "load", "failedStates": ["failed"]}, [other(load=FAILED)], "failed",
            "load of other-2024-01-01: load in a failed state",
            id="a task in failedStates fails the sensor at once",
        ),
        pytest.param(
            {"task": "load"}, [other(load=FAILED)], "deferred", "(load failed)",
            id="without failedStates a failed task only keeps it waiting, as in Airflow",
        ),
        pytest.param(
            {"task": "load", "skippedStates": ["skipped"]}, [other(load=SKIPPED)], "skipped",
            "in a skipped state",
            id="a task in skippedStates skips the sensor",
        ),
        pytest.param(
            {"tasks": ["a", "b"]}, [other(a=OK, b=RUNNING)], "deferred", "(a success, b running)",
            id="several tasks: it waits until every one is allowed",
        ),
        pytest.param(
            {"tasks": ["a", "b"], "allowedStates": ["success", "skipped"]},
            [other(a=OK, b=SKIPPED)], "success", "a, b of other-2024-01-01: skipped, success",
            id="allowedStates may accept skipped tasks",
        ),
        pytest.param(
            {"task": "m"}, [other(**{"m[0]": OK, "m[1]": RUNNING})], "deferred", "m[1] running",
            id="a mapped task: every instance must be allowed",
        ),
        pytest.param(
            {"taskGroup": "grp"}, [other(**{"grp.a": OK, "grp.b": OK, "c": RUNNING})], "success",
            "task group grp of other-2024-01-01: success",
            id="a task group: every task of the group",
        ),
        pytest.param(
            {}, [other(state=DagRunState.SUCCESS)], "success", "run other-2024-01-01: success",
            id="no task: the whole run's state",
        ),
        pytest.param(
            {"failedStates": ["failed"]}, [other(state=DagRunState.FAILED)], "failed",
            "run other-2024-01-01: other-2024-01-01 in a failed state",
            id="no task: a failed run fails it with failedStates",
        ),
    ],
)  # fmt: skip
def test_a_pass_over_an_external_task_sensor(
    watch: dict[str, Any], runs: list[ObservedRun], state: str, message: str
) -> None:
    sim = simulate(watch, *runs)
    sim.step()
    ti = sim.status.task_instances["wait"]
    assert (ti.state.value, message in (ti.message or "")) == (state, True), ti.message
    assert sim.pods == {}, "the operator decides it: no pod"


def test_a_missing_dag_is_waited_for_as_airflow_does_without_check_existence() -> None:
    sim = Simulation(
        make_run(make_spec([{"name": "wait", "externalTask": {"dag": "other"}}])),
        surroundings=Surroundings(),
    )
    sim.step()
    ti = sim.status.task_instances["wait"]
    assert (ti.state, ti.message) == ("deferred", "waiting: DAG 'other' not found in namespace ns")


@pytest.mark.parametrize(
    ("soft_fail", "state", "message"),
    [
        pytest.param(False, "failed", "sensor timed out after 1h", id="the timeout fails it"),
        pytest.param(True, "skipped", "sensor timed out after 1h (softFail)",
                     id="with softFail the timeout skips it"),
    ],
)  # fmt: skip
def test_the_sensor_timeout_applies(soft_fail: bool, state: str, message: str) -> None:
    sim = simulate({"task": "load"}, other(load=RUNNING), timeout="1h", softFail=soft_fail)
    first = sim.step()
    assert first.wake_at == T0 + timedelta(hours=1), "it wakes at the timeout, no polling"
    sim.now = T0 + timedelta(hours=1)
    sim.step()
    ti = sim.status.task_instances["wait"]
    assert (ti.state, ti.message) == (state, message)


def test_soft_fail_skips_on_a_failed_state() -> None:
    sim = simulate({"task": "load", "failedStates": ["failed"]}, other(load=FAILED), softFail=True)
    sim.step()
    assert sim.status.task_instances["wait"].state == "skipped"


def test_the_run_goes_on_when_the_other_run_changes() -> None:
    sim = simulate({"task": "load"}, other(load=RUNNING))
    sim.step()
    assert sim.status.state == "running"
    sim.surroundings = Surroundings({"other": observed_dag()}, {"other": [other(load=OK)]})
    assert sim.run_to_end().state == "success"
