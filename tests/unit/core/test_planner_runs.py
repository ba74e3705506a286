"""Whole runs through the pure planner: dependencies, retries, failures, timeouts."""

from datetime import timedelta

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.core.run_model import Capacity, PlannerSettings, PodPhase, PreviousRun
from tests.unit.core.planner_harness import (
    T0,
    Outcome,
    Simulation,
    fail,
    make_run,
    make_spec,
    xcom,
)

BASH = "echo hi"


def tasks(*names: str, **settings: object) -> list[dict[str, object]]:
    return [{"name": n, "bash": BASH, **settings} for n in names]


def test_a_chain_runs_in_order_and_succeeds() -> None:
    sim = Simulation(make_run(make_spec(tasks("a", "b", "c"), ["a >> b >> c"])))
    status = sim.run_to_end()
    assert status.state == "success"
    assert sim.states() == {"a": "success", "b": "success", "c": "success"}
    assert [k for _, k in sim.started] == ["a", "b", "c"]
    # The hand-off is immediate: b starts the moment a's pod is seen finished.
    assert sim.start_time("b") == sim.start_time("a") + timedelta(seconds=1)
    assert status.progress == "3/3"
    assert status.duration == "3s"
    assert [e.reason for e in sim.events] == ["RunStarted", "RunSucceeded"]


def test_parallel_tasks_start_together() -> None:
    spec = make_spec(tasks("first", "t0", "t1", "t2", "last"), ["first >> [t0, t1, t2] >> last"])
    sim = Simulation(make_run(spec))
    sim.run_to_end()
    assert sim.start_time("t0") == sim.start_time("t1") == sim.start_time("t2")
    assert sim.start_time("last") > sim.start_time("t2")


def test_pods_are_labelled_owned_and_named_deterministically() -> None:
    sim = Simulation(make_run(make_spec(tasks("a"))))
    sim.step()
    pod = next(iter(sim.pods.values()))
    meta = pod.manifest["metadata"]
    assert meta["name"] == "d-manual-20240101t000000-a-1"
    assert meta["labels"]["kairflow.io/dag"] == "d"
    assert meta["labels"]["kairflow.io/task"] == "a"
    assert meta["labels"]["kairflow.io/try"] == "1"
    assert meta["ownerReferences"][0]["uid"] == "uid-1"


def test_retries_wait_the_retry_delay_then_succeed() -> None:
    spec = make_spec(tasks("a", retries=2, retryDelay="5m"))
    sim = Simulation(make_run(spec), script={"a": [fail(), fail(), Outcome()]})
    status = sim.run_to_end()
    assert status.state == "success"
    ti = status.task_instances["a"]
    assert ti.try_number == 3 and ti.max_tries == 3
    first_end = sim.start_time("a", 0) + timedelta(seconds=1)
    assert sim.start_time("a", 1) == first_end + timedelta(minutes=5)
    assert [e.reason for e in sim.events].count("TaskRetrying") == 2


def test_retries_exhausted_fail_the_task_and_its_downstream() -> None:
    spec = make_spec(tasks("a", "b", retries=1, retryDelay="10s"), ["a >> b"])
    sim = Simulation(make_run(spec), script={"a": [fail(3)]})
    status = sim.run_to_end()
    assert status.state == "failed"
    assert sim.states() == {"a": "failed", "b": "upstream_failed"}
    assert status.task_instances["a"].exit_code == 3
    assert status.task_instances["a"].message == "exit code 3"
    assert "failed tasks: a, b" in (status.message or "")


def test_retry_only_on_listed_exit_codes() -> None:
    spec = make_spec(tasks("a", retries=3, retryDelay="1s", retryOnExitCodes=[75]))
    sim = Simulation(make_run(spec), script={"a": [fail(75), fail(2)]})
    status = sim.run_to_end()
    assert status.task_instances["a"].try_number == 2
    assert status.task_instances["a"].state == TI.FAILED


def test_execution_timeout_becomes_active_deadline_and_counts_as_failure() -> None:
    spec = make_spec(tasks("a", executionTimeout="30s"))
    sim = Simulation(
        make_run(spec), script={"a": [Outcome(exit_code=137, reason="DeadlineExceeded")]}
    )
    sim.step()
    pod = next(iter(sim.pods.values()))
    assert pod.manifest["spec"]["activeDeadlineSeconds"] == 30
    status = sim.run_to_end()
    assert status.task_instances["a"].state == TI.FAILED
    assert "execution timeout of 30s exceeded" in (status.task_instances["a"].message or "")


def test_a_pod_deleted_while_running_fails_the_try_and_retries() -> None:
    spec = make_spec(tasks("a", retries=1, retryDelay="1s"))
    sim = Simulation(make_run(spec), script={"a": [Outcome(seconds=100), Outcome()]})
    sim.step()
    sim.now = T0 + timedelta(seconds=5)
    sim.step()  # observed running
    assert sim.states()["a"] == "running"
    sim.pods.clear()  # somebody deleted it
    sim.now += timedelta(seconds=1)
    sim.step()
    ti = sim.status.task_instances["a"]
    assert ti.state == TI.UP_FOR_RETRY
    assert "was deleted or evicted while running" in (ti.message or "")
    assert sim.run_to_end().state == "success"


@pytest.mark.parametrize(
    "reason, message, expected",
    [
        pytest.param(
            "InvalidImageName",
            "bad:ta:g",
            "InvalidImageName: bad:ta:g",
            id="an invalid image name fails the try at once",
        ),
        pytest.param(
            "ErrImageNeverPull",
            None,
            "ErrImageNeverPull: container cannot start",
            id="an image that may not be pulled and is absent fails the try at once",
        ),
    ],
)
def test_a_pod_that_can_never_start_fails_at_once(
    reason: str, message: str | None, expected: str
) -> None:
    spec = make_spec(tasks("a"))
    stuck = Outcome(phase=PodPhase.PENDING, reason=reason, message=message)
    sim = Simulation(make_run(spec), script={"a": [stuck]})
    sim.step()  # the pod is created
    sim.now = T0 + timedelta(seconds=1)
    sim.step()  # its first sight fails the try, long before the startup timeout
    assert sim.status.task_instances["a"].state == TI.FAILED
    assert sim.status.task_instances["a"].message == expected
    assert sim.deleted == ["d-manual-20240101t000000-a-1"]


def test_a_container_that_cannot_run_its_command_fails_with_the_runtimes_words() -> None:
    spec = make_spec(tasks("a"))
    error = 'exec: "python": executable file not found in $PATH: unknown\n'
    sim = Simulation(
        make_run(spec), script={"a": [Outcome(exit_code=128, reason="StartError", xcom=error)]}
    )
    ti = sim.run_to_end().task_instances["a"]
    assert ti.state == TI.FAILED
    assert ti.message == (
        'exit code 128 (StartError: exec: "python": executable file not found in $PATH: unknown)'
    )


@pytest.mark.parametrize(
    "reason, message, waiting, failed",
    [
        pytest.param(
            "ImagePullBackOff",
            'Back-off pulling image "nope:1"',
            'waiting for the pod to start: ImagePullBackOff: Back-off pulling image "nope:1"',
            'pod did not start within 2m (ImagePullBackOff: Back-off pulling image "nope:1")',
            id="an image the kubelet keeps failing to pull fails at the startup timeout",
        ),
        pytest.param(
            "Unschedulable",
            None,
            "waiting for the pod to start: Unschedulable",
            "pod did not start within 2m (Unschedulable)",
            id="a pod no node can take fails at the startup timeout",
        ),
        pytest.param(
            None,
            None,
            None,
            "pod did not start within 2m",
            id="a pod pending for no reason given fails at the startup timeout",
        ),
    ],
)
def test_a_pod_pending_shows_why_and_fails_at_the_startup_timeout(
    reason: str | None, message: str | None, waiting: str | None, failed: str
) -> None:
    spec = make_spec(tasks("a"))
    sim = Simulation(
        make_run(spec),
        settings=PlannerSettings(startup_timeout=timedelta(minutes=2)),
        script={"a": [Outcome(phase=PodPhase.PENDING, reason=reason, message=message)]},
    )
    sim.step()
    sim.now = T0 + timedelta(seconds=30)
    sim.step()
    assert sim.status.task_instances["a"].state == TI.QUEUED
    assert sim.status.task_instances["a"].message == waiting
    status = sim.run_to_end()
    ti = status.task_instances["a"]
    assert ti.state == TI.FAILED
    assert ti.message == failed
    assert sim.now == T0 + timedelta(minutes=2)


def test_dagrun_timeout_fails_the_run_and_skips_unfinished_tasks() -> None:
    spec = make_spec(tasks("a", "b"), ["a >> b"], dagrunTimeout="1m")
    sim = Simulation(make_run(spec), script={"a": [Outcome(seconds=3600)]})
    status = sim.run_to_end()
    assert status.state == "failed"
    assert "timed out after 1m" in (status.message or "")
    assert sim.states() == {"a": "skipped", "b": "skipped"}
    assert sim.deleted == ["d-manual-20240101t000000-a-1"]


def test_invalid_xcom_fails_the_task_with_a_clear_message() -> None:
    sim = Simulation(make_run(make_spec(tasks("a"))), script={"a": [xcom("{not json")]})
    status = sim.run_to_end()
    assert status.task_instances["a"].state == TI.FAILED
    assert "XCom is not valid JSON" in (status.task_instances["a"].message or "")


def test_oversize_xcom_fails_the_task() -> None:
    sim = Simulation(make_run(make_spec(tasks("a"))), script={"a": [xcom('"' + "x" * 5000 + '"')]})
    status = sim.run_to_end()
    assert "limit is 4096" in (status.task_instances["a"].message or "")


def test_xcom_is_recorded() -> None:
    sim = Simulation(make_run(make_spec(tasks("a"))), script={"a": [xcom('{"rows": 3}')]})
    assert sim.run_to_end().task_instances["a"].xcom == {"rows": 3}


def test_empty_tasks_finish_without_pods() -> None:
    spec = make_spec(
        [{"name": "start"}, {"name": "a", "bash": BASH}, {"name": "end"}], ["start >> a >> end"]
    )
    sim = Simulation(make_run(spec))
    assert sim.run_to_end().state == "success"
    assert [k for _, k in sim.started] == ["a"]


def test_depends_on_past_waits_when_the_previous_try_failed() -> None:
    spec = make_spec(tasks("a", "b"), ["a >> b"], defaults={"dependsOnPast": True})
    previous = PreviousRun({"a": TI.SUCCESS, "b": TI.FAILED})
    sim = Simulation(make_run(spec), previous=previous)
    status = sim.run_to_end()
    # Like Airflow: the run keeps running (no deadlock) until the past is fixed.
    assert status.state == "running"
    assert sim.states() == {"a": "success", "b": "none"}
    assert "dependsOnPast, and b is failed in the previous run" in (
        status.task_instances["b"].message or ""
    )


def test_the_first_run_is_exempt_from_depends_on_past() -> None:
    spec = make_spec(tasks("a"), defaults={"dependsOnPast": True})
    assert Simulation(make_run(spec), previous=None).run_to_end().state == "success"


def test_wait_for_downstream_checks_the_previous_runs_downstream() -> None:
    spec = make_spec(tasks("a", "b"), ["a >> b"])
    spec.tasks[0].wait_for_downstream = True
    previous = PreviousRun({"a": TI.SUCCESS, "b": TI.RUNNING})
    sim = Simulation(make_run(spec), previous=previous)
    sim.step()
    assert "waitForDownstream, and b is running" in (sim.status.task_instances["a"].message or "")


def test_a_queued_run_waits_until_it_may_start() -> None:
    sim = Simulation(make_run(make_spec(tasks("a")), may_start=False))
    result = sim.step()
    assert result.status.state == "queued" and not sim.pods


def test_max_active_tasks_and_priority_decide_who_starts_first() -> None:
    spec = make_spec(tasks("low", "high", "after_high"), ["high >> after_high"], maxActiveTasks=1)
    sim = Simulation(make_run(spec))
    sim.run_to_end()
    # downstream weight rule: high (1 + 1 downstream) beats low (1).
    assert [k for _, k in sim.started] == ["high", "low", "after_high"]


def test_absolute_priority_weights() -> None:
    spec = make_spec(
        [
            {"name": "a", "bash": BASH, "priorityWeight": 1, "weightRule": "absolute"},
            {"name": "b", "bash": BASH, "priorityWeight": 5, "weightRule": "absolute"},
        ],
        maxActiveTasks=1,
    )
    sim = Simulation(make_run(spec))
    sim.run_to_end()
    assert [k for _, k in sim.started] == ["b", "a"]


def test_pools_limit_concurrency_by_slots() -> None:
    spec = make_spec(tasks("a", "b", "c", pool="db"))
    sim = Simulation(make_run(spec), capacity=Capacity(pools={"db": 2, "default_pool": 128}))
    sim.step()
    assert len(sim.pods) == 2
    assert "pool 'db'" in (sim.status.task_instances["c"].message or "")
    sim.run_to_end()
    assert sim.status.state == "success"


def test_an_unknown_pool_waits_with_a_message() -> None:
    spec = make_spec(tasks("a", pool="nope"))
    sim = Simulation(make_run(spec), capacity=Capacity(pools={"default_pool": 1}))
    sim.step()
    assert sim.status.task_instances["a"].message == "waiting: pool 'nope' does not exist"


def test_capacity_used_elsewhere_is_respected() -> None:
    sim = Simulation(make_run(make_spec(tasks("a", "b"))), capacity=Capacity(slots=1))
    sim.step()
    assert len(sim.pods) == 1


def test_template_error_fails_the_task_and_never_crashes() -> None:
    spec = make_spec([{"name": "a", "bash": "echo {{ params.missing }}"}])
    sim = Simulation(make_run(spec))
    status = sim.run_to_end()
    assert status.task_instances["a"].state == TI.FAILED
    assert (status.task_instances["a"].message or "").startswith("template error:")


def test_templates_see_xcom_params_and_conf() -> None:
    spec = make_spec(
        [
            {"name": "a", "bash": BASH},
            {"name": "b", "bash": "echo {{ ti.xcom_pull('a') }} {{ params.x }} {{ ds }}"},
        ],
        ["a >> b"],
        params={"x": "p"},
    )
    sim = Simulation(make_run(spec, conf={"x": "from-conf"}), script={"a": [xcom('"v"')]})
    sim.run_to_end()
    b = next(p for p in sim.pods.values() if p.key == "b")
    assert b.manifest["spec"]["containers"][0]["command"][-1] == "echo v from-conf 2024-01-01"


def test_templates_read_a_params_default_not_its_schema() -> None:
    rows = {"default": 3, "type": "integer", "maximum": 100, "description": "Rows to load"}
    spec = make_spec(
        [{"name": "a", "bash": "echo {{ params.rows }} {{ params.env }} {{ dag.params.rows }}"}],
        params={"rows": rows, "env": {"default": "dev", "enum": ["dev", "prod"]}},
    )
    sim = Simulation(make_run(spec, conf={"env": "prod"}))
    sim.run_to_end()
    (pod,) = sim.pods.values()
    assert pod.manifest["spec"]["containers"][0]["command"][-1] == "echo 3 prod 3"


@pytest.mark.parametrize("repeat", [1, 2], ids=["planning once", "planning twice"])
def test_planning_is_idempotent(repeat: int) -> None:
    sim = Simulation(make_run(make_spec(tasks("a", "b"))))
    first = sim.step()
    again = None
    for _ in range(repeat):
        again = sim.step()
    assert again is not None
    assert not [a for a in again.actions if a.__class__.__name__ == "CreatePod"]
    assert again.status.task_instances.keys() == first.status.task_instances.keys()


def test_a_pod_created_before_a_lost_status_write_is_adopted() -> None:
    """The operator died after creating a pod but before writing status."""
    sim = Simulation(make_run(make_spec(tasks("a"))))
    sim.step()
    pods = dict(sim.pods)
    from kairflow.api.dagrun import DagRunStatus

    fresh = Simulation(sim.run, status=DagRunStatus(), pods=pods, now=sim.now)
    result = fresh.step()
    assert not [a for a in result.actions if a.__class__.__name__ == "CreatePod"]
    assert fresh.status.task_instances["a"].try_number == 1
    assert fresh.status.task_instances["a"].pod == "d-manual-20240101t000000-a-1"
    assert fresh.run_to_end().state == "success"


def test_depends_on_past_waits_while_the_previous_run_has_not_run_the_task() -> None:
    spec = make_spec(tasks("a"), defaults={"dependsOnPast": True})
    previous = PreviousRun({}, finished=False)  # the previous run has not started yet
    sim = Simulation(make_run(spec), previous=previous)
    sim.step()
    assert sim.states() == {"a": "none"}
    assert "has not run yet in the previous run" in (sim.status.task_instances["a"].message or "")
    assert sim.status.state == "running"  # waiting, not a deadlock


def test_a_pool_edited_down_to_1_slot_admits_no_more_tasks_until_its_tasks_finish() -> None:
    spec = make_spec(tasks("a", "b", "c", "d", pool="db"))
    sim = Simulation(make_run(spec), capacity=Capacity(pools={"db": 2, "default_pool": 128}))
    sim.step()
    assert len(sim.pods) == 2
    sim.capacity = Capacity(pools={"db": 1, "default_pool": 128})  # kubectl edit pool db
    sim.step()
    assert len(sim.started) == 2, "the two running keep running, nothing new starts"
    sim.run_to_end()
    assert sim.status.state == "success"
    # after the edit c and d ran one at a time, each after the one before it ended
    (_, c_start), (_, d_start) = sim.started[2], sim.started[3]
    assert d_start > c_start
