"""triggerDagRun (Airflow's TriggerDagRunOperator), decided by the planner from what
the operator observes: rows are a pass over a run whose one task triggers `target`."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.common import DagRunState
from kairflow.core.cross_dag import trigger_mark, triggered_run_name
from kairflow.core.deferred import Surroundings
from kairflow.core.observations import ObservedRun
from tests.unit.core.observed import dag as observed_dag
from tests.unit.core.observed import run as observed_run
from tests.unit.core.planner_harness import Simulation, make_run, make_spec

RUN = "d-manual-20240101t000000"
NAME = triggered_run_name("target", RUN, "trigger", 1)
MARK = trigger_mark(RUN, "trigger", 1)
TARGET = observed_dag(params={"day": {"default": "2024-01-01", "type": "string", "minLength": 10}})


def target_run(
    *, state: DagRunState | None = None, run_id: str | None = "manual__t", **kw: Any
) -> ObservedRun:
    name = kw.pop("name", NAME)
    fields: dict[str, Any] = {"triggered_by": MARK, "run_id": run_id, "dag_name": "target"}
    fields.update(kw)
    return observed_run(name, state=state, **fields)


def simulate(trigger: dict[str, Any], *runs: ObservedRun, **task: Any) -> Simulation:
    spec = make_spec([{"name": "trigger", "triggerDagRun": {"dag": "target", **trigger}, **task}])
    dags = {"target": TARGET}
    return Simulation(
        make_run(spec), surroundings=Surroundings(dags=dags, runs={"target": list(runs)})
    )


def test_the_first_pass_asks_for_the_target_run_with_a_deterministic_name() -> None:
    sim = simulate({"conf": {"day": "{{ ds }}-{{ ti.try_number }}", "n": [1, "{{ ds_nodash }}"]}})
    sim.step()
    [create] = sim.created_runs
    assert (create.dag_name, create.name, create.triggered_by) == ("target", NAME, MARK)
    assert create.conf == {"day": "2024-01-01-1", "n": [1, "20240101"]}
    ti = sim.status.task_instances["trigger"]
    assert (ti.state, ti.try_number, ti.triggered_run, ti.pod) == ("deferred", 1, None, None)
    assert ti.message == f"triggering DAG 'target': run {NAME}"
    sim.step()
    assert len(sim.created_runs) == 2, "asked again until seen: creating it twice is a no-op"
    assert sim.created_runs[1] == create


def test_the_name_differs_by_run_task_instance_and_try() -> None:
    names = {
        triggered_run_name("target", RUN, "trigger", 1),
        triggered_run_name("target", RUN, "trigger", 2),
        triggered_run_name("target", RUN, "trigger[0]", 1),
        triggered_run_name("target", "other-run", "trigger", 1),
    }
    assert len(names) == 4
    assert all(len(n) <= 63 for n in names)
    assert len(triggered_run_name("t" * 80, RUN, "x", 1)) <= 63


@pytest.mark.parametrize(
    ("trigger", "runs", "state", "message"),
    [
        pytest.param(
            {"dag": "nowhere"}, [], "failed",
            "cannot trigger DAG 'nowhere': not found in namespace ns",
            id="a target DAG that does not exist fails the task",
        ),
        pytest.param(
            {"conf": {"day": "short"}}, [], "failed",
            "cannot trigger DAG 'target': conf 'day' must be at least 10 characters long",
            id="conf the target's params refuse fails the task before any run is made",
        ),
        pytest.param(
            {"conf": {"day": "{{ nope }}"}}, [], "failed",
            "cannot trigger DAG 'target': triggerDagRun.conf.day: 'nope' is undefined",
            id="a template error in the conf fails the task",
        ),
        pytest.param(
            {"logicalDate": "yesterday"}, [], "failed", "invalid date-time 'yesterday'",
            id="a logical date that is no date fails the task",
        ),
        pytest.param(
            {"runId": "nightly-{{ ds }}"}, [target_run(name="other", run_id="nightly-2024-01-01",
                                                       triggered_by=None)],
            "failed", "run id 'nightly-2024-01-01' exists already",
            id="a run id another run has fails the task, as Airflow's DagRunAlreadyExists",
        ),
        pytest.param(
            {}, [target_run(triggered_by="someone/else/1")], "failed",
            f"a DagRun named {NAME} exists that this task did not trigger",
            id="a run of the same name made by someone else is never adopted",
        ),
        pytest.param(
            {}, [target_run(run_id=None)], "deferred", "waiting for it to start",
            id="without waiting it stays deferred until the run has its run id",
        ),
        pytest.param(
            {}, [target_run(run_id=None, state=DagRunState.FAILED)], "failed",
            "could not start (see its status)",
            id="a triggered run its DAG refused fails the task",
        ),
        pytest.param(
            {}, [target_run()], "success", "triggered target run manual__t",
            id="without waiting it succeeds once the run exists, a run created before a "
            "restart but never recorded included",
        ),
        pytest.param(
            {"waitForCompletion": True}, [target_run(state=DagRunState.RUNNING)], "deferred",
            "waiting for triggered target run manual__t (running)",
            id="waiting, a running target keeps the task deferred",
        ),
        pytest.param(
            {"waitForCompletion": True}, [target_run(state=DagRunState.SUCCESS)], "success",
            "triggered target run manual__t ended success",
            id="waiting, a target that succeeded succeeds the task",
        ),
        pytest.param(
            {"waitForCompletion": True}, [target_run(state=DagRunState.FAILED)], "failed",
            "triggered target run manual__t ended failed",
            id="waiting, a target that failed fails the task",
        ),
        pytest.param(
            {"waitForCompletion": True, "allowedStates": ["success", "failed"], "failedStates": []},
            [target_run(state=DagRunState.FAILED)], "success", "ended failed",
            id="waiting, allowedStates may accept a failed target",
        ),
    ],
)  # fmt: skip
def test_a_pass_over_a_triggering_task(
    trigger: dict[str, Any], runs: list[ObservedRun], state: str, message: str
) -> None:
    sim = simulate(trigger, *runs)
    sim.step()
    ti = sim.status.task_instances["trigger"]
    assert (ti.state.value, message in (ti.message or "")) == (state, True), ti.message
    if state != "deferred":
        assert sim.created_runs == []


def test_the_xcom_is_the_triggered_run_id() -> None:
    sim = simulate({}, target_run(run_id="manual__2024-01-02T00:00:00+00:00"))
    assert sim.run_to_end().task_instances["trigger"].xcom == "manual__2024-01-02T00:00:00+00:00"


def test_a_failure_is_one_warning_event_and_no_run() -> None:
    sim = simulate({"dag": "nowhere"})
    sim.step()
    warnings = [e for e in sim.events if e.type == "Warning" and e.reason == "TaskFailed"]
    assert len(warnings) == 1 and "not found" in warnings[0].message


def test_a_failed_target_is_retried_with_a_new_run_per_try() -> None:
    sim = simulate({"waitForCompletion": True}, target_run(state=DagRunState.FAILED), retries=1)
    sim.step()
    ti = sim.status.task_instances["trigger"]
    assert ti.state == "up_for_retry"
    sim.now = sim.now.replace(hour=1)  # past the 5 minute retry delay
    sim.step()
    ti = sim.status.task_instances["trigger"]
    assert (ti.state, ti.try_number) == ("deferred", 2)
    assert sim.created_runs[-1].name == triggered_run_name("target", RUN, "trigger", 2)


def test_a_triggered_run_deleted_while_waited_for_fails_the_try() -> None:
    sim = simulate({"waitForCompletion": True}, target_run(state=DagRunState.RUNNING))
    sim.step()
    assert sim.status.task_instances["trigger"].triggered_run == NAME
    sim.surroundings = Surroundings(dags={"target": TARGET}, runs={"target": []})
    sim.step()
    ti = sim.status.task_instances["trigger"]
    assert (ti.state, ti.message) == ("failed", f"triggered run {NAME} was deleted")
    assert sim.created_runs == []


def test_a_triggering_task_holds_no_slot() -> None:
    spec = make_spec(
        [
            {"name": "trigger", "triggerDagRun": {"dag": "target", "waitForCompletion": True}},
            {"name": "work", "bash": "true"},
        ],
        maxActiveTasks=1,
    )
    runs = {"target": [target_run(state=DagRunState.RUNNING)]}
    sim = Simulation(make_run(spec), surroundings=Surroundings({"target": TARGET}, runs))
    sim.step()
    assert sim.states() == {"trigger": "deferred", "work": "queued"}
