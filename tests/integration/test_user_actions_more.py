"""More user actions on the real apiserver: clear by pattern / upstream / only failed,
clearing a running task, mark failed, run and task events, the DAG snapshot a run
takes, and manual runs with a logical date."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client

from kairflow.core.bash_xcom import WRAPPER
from tests.integration.helpers import (
    dag,
    events_for,
    manual_run,
    run_dag_spec,
    run_status,
    wait_dag_synced,
    wait_run_state,
)
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


# --- helpers -------------------------------------------------------------------------


def patch_run(kube: Kube, ns: str, name: str, spec: dict[str, Any]) -> None:
    """A user action exactly as the README shows it: kubectl patch --type=merge."""
    kube.kubectl(
        "patch", "dagrun", name, "-n", ns, "--type=merge", "-p", json.dumps({"spec": spec})
    )


def run_pods(kubelet: FakeKubelet, run: str, task: str) -> list[Any]:
    selector = f"kairflow.io/dag-run={run},kairflow.io/task={task}"
    return list(
        kubelet.kube.core.list_namespaced_pod(kubelet.namespace, label_selector=selector).items
    )


def wait_run_pod(kubelet: FakeKubelet, run: str, task: str, try_number: int = 1) -> Any:
    """The pod of one try of a task in one run (runs of a DAG share task labels)."""

    def find() -> Any:
        for pod in run_pods(kubelet, run, task):
            if pod.metadata.labels.get("kairflow.io/try") == str(try_number):
                return pod
        return None

    return wait_for(find, what=f"pod of {run}/{task} try {try_number}")


def finish(kubelet: FakeKubelet, pod: Any, exit_code: int = 0) -> None:
    kubelet.start(pod.metadata.name)
    kubelet.finish(pod.metadata.name, exit_code)


def run_task(kubelet: FakeKubelet, run: str, task: str, try_number: int = 1, code: int = 0) -> Any:
    pod = wait_run_pod(kubelet, run, task, try_number)
    finish(kubelet, pod, code)
    return pod


def pod_gone(kubelet: FakeKubelet, name: str) -> bool:
    try:
        pod = kubelet.kube.core.read_namespaced_pod(name, kubelet.namespace)
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return pod.metadata.deletion_timestamp is not None


def tries_of(kubelet: FakeKubelet, run: str, task: str) -> set[str]:
    return {p.metadata.labels["kairflow.io/try"] for p in run_pods(kubelet, run, task)}


def tis(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = status.get("taskInstances") or {}
    return result


def state_of(ti: dict[str, Any]) -> str:
    return str(ti.get("state", "none"))  # `none` is the default, left out on the wire


def wait_clear_handled(kube: Kube, ns: str, run: str, request: str) -> dict[str, Any]:
    return wait_for(
        lambda: (s := run_status(kube, ns, run)).get("handledClear") == request and s,
        what=f"clear request {request} handled",
    )


def wait_ti_state(kube: Kube, ns: str, run: str, key: str, state: str) -> dict[str, Any]:
    return wait_for(
        lambda: state_of(tis(s := run_status(kube, ns, run)).get(key) or {}) == state and s,
        what=f"{run}/{key} {state}",
    )


def bash_tasks(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "bash": f"echo {n}"} for n in names]


# --- clear ---------------------------------------------------------------------------


def test_clear_by_glob_pattern_resets_only_the_matching_tasks(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    names = ("extract", "extract_a", "extract_b", "transform", "load")
    flow = ["[extract, extract_a, extract_b] >> transform >> load"]
    kube.create(ns, "dags", dag("etl", bash_tasks(*names), flow))
    kube.create(ns, "dagruns", manual_run("etl-1", "etl"))
    for task in names:
        run_task(kubelet, "etl-1", task)
    before = tis(wait_run_state(kube, ns, "etl-1", "success"))

    # Shell-style: `extract_*` matches extract_a and extract_b, not `extract` (a regex
    # `extract_*` would match it too) and not the tasks downstream of them.
    patch_run(kube, ns, "etl-1", {"clear": {"id": "c1", "tasks": ["extract_*"]}})
    cleared = tis(wait_clear_handled(kube, ns, "etl-1", "c1"))
    untouched = ("extract", "transform", "load")
    for key in untouched:
        assert cleared[key] == before[key], key
    for key in ("extract_a", "extract_b"):
        # Reset and started again at once: the next try, with its retries again.
        assert state_of(cleared[key]) == "queued", cleared[key]
        assert cleared[key]["tryNumber"] == 2
        assert cleared[key]["maxTries"] == 2
        assert "endDate" not in cleared[key]
    run_task(kubelet, "etl-1", "extract_a", try_number=2)
    run_task(kubelet, "etl-1", "extract_b", try_number=2)
    after = tis(wait_run_state(kube, ns, "etl-1", "success"))
    assert {k: v["tryNumber"] for k, v in after.items()} == {
        "extract": 1,
        "extract_a": 2,
        "extract_b": 2,
        "transform": 1,
        "load": 1,
    }
    for key in untouched:
        assert after[key] == before[key], key
        assert tries_of(kubelet, "etl-1", key) == {"1"}


def test_clear_with_upstream_resets_the_ancestors_and_not_the_rest(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("up", bash_tasks("a", "b", "c", "side"), ["a >> b >> c"]))
    kube.create(ns, "dagruns", manual_run("up-1", "up"))
    for task in ("a", "side", "b", "c"):
        run_task(kubelet, "up-1", task)
    before = tis(wait_run_state(kube, ns, "up-1", "success"))

    patch_run(kube, ns, "up-1", {"clear": {"id": "u1", "tasks": ["b"], "upstream": True}})
    cleared = tis(wait_clear_handled(kube, ns, "up-1", "u1"))
    assert cleared["c"] == before["c"]  # downstream: not asked for
    assert cleared["side"] == before["side"]
    assert state_of(cleared["a"]) == "queued" and cleared["a"]["tryNumber"] == 2
    # b waits for its upstream again: reset, its try count kept.
    assert state_of(cleared["b"]) == "none" and cleared["b"]["tryNumber"] == 1
    assert cleared["b"]["maxTries"] == 2
    assert tries_of(kubelet, "up-1", "b") == {"1"}

    run_task(kubelet, "up-1", "a", try_number=2)
    run_task(kubelet, "up-1", "b", try_number=2)
    after = tis(wait_run_state(kube, ns, "up-1", "success"))
    assert {k: v["tryNumber"] for k, v in after.items()} == {"a": 2, "b": 2, "c": 1, "side": 1}
    assert after["c"] == before["c"]
    assert tries_of(kubelet, "up-1", "c") == {"1"}


def test_clear_only_failed_resets_failed_and_upstream_failed_only(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    tasks = bash_tasks("a", "b", "c", "d")
    tasks[1].update(retries=1, retryDelay="1s")
    kube.create(ns, "dags", dag("flaky", tasks, ["a >> b >> c"]))
    kube.create(ns, "dagruns", manual_run("flaky-1", "flaky"))
    run_task(kubelet, "flaky-1", "a")
    run_task(kubelet, "flaky-1", "d")
    run_task(kubelet, "flaky-1", "b", code=1)
    run_task(kubelet, "flaky-1", "b", try_number=2, code=1)
    before = tis(wait_run_state(kube, ns, "flaky-1", "failed"))
    assert {k: state_of(v) for k, v in before.items()} == {
        "a": "success",
        "b": "failed",
        "c": "upstream_failed",
        "d": "success",
    }
    assert before["b"]["tryNumber"] == 2 and before["b"]["maxTries"] == 2

    # No task names: every task, but only the failed and upstream_failed ones.
    patch_run(kube, ns, "flaky-1", {"clear": {"id": "f1", "onlyFailed": True}})
    cleared = wait_clear_handled(kube, ns, "flaky-1", "f1")
    assert cleared["state"] in ("queued", "running")  # the failed run is reopened
    assert "endDate" not in cleared
    ti = tis(cleared)
    assert ti["a"] == before["a"] and ti["d"] == before["d"]
    # Tries go on counting, and the cleared task gets its retries again.
    assert state_of(ti["b"]) == "queued" and ti["b"]["tryNumber"] == 3
    assert ti["b"]["maxTries"] == 4
    assert state_of(ti["c"]) == "none" and ti["c"].get("tryNumber", 0) == 0

    run_task(kubelet, "flaky-1", "b", try_number=3, code=1)
    wait_ti_state(kube, ns, "flaky-1", "b", "up_for_retry")
    run_task(kubelet, "flaky-1", "b", try_number=4)
    run_task(kubelet, "flaky-1", "c")
    after = tis(wait_run_state(kube, ns, "flaky-1", "success"))
    assert {k: v["tryNumber"] for k, v in after.items()} == {"a": 1, "b": 4, "c": 1, "d": 1}
    assert after["a"] == before["a"] and after["d"] == before["d"]
    assert tries_of(kubelet, "flaky-1", "a") == {"1"}


def test_clearing_a_running_task_deletes_its_pod_and_starts_a_new_try(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "rerun",
            [{"name": "long", "bash": "sleep 1000"}, {"name": "next", "bash": "true"}],
            ["long >> next"],
        ),
    )
    kube.create(ns, "dagruns", manual_run("rerun-1", "rerun"))
    first = wait_run_pod(kubelet, "rerun-1", "long")
    kubelet.start(first.metadata.name)
    wait_ti_state(kube, ns, "rerun-1", "long", "running")

    patch_run(kube, ns, "rerun-1", {"clear": {"id": "r1", "tasks": ["long"]}})
    second = wait_run_pod(kubelet, "rerun-1", "long", try_number=2)
    wait_for(lambda: pod_gone(kubelet, first.metadata.name), what="the running try's pod deleted")
    status = wait_clear_handled(kube, ns, "rerun-1", "r1")
    ti = tis(status)["long"]
    assert ti["tryNumber"] == 2 and ti["pod"] == second.metadata.name
    assert state_of(ti) == "queued"  # the deleted pod is not taken for a failed try
    assert "next" not in {k for k, v in tis(status).items() if state_of(v) != "none"}

    finish(kubelet, second)
    run_task(kubelet, "rerun-1", "next")
    status = wait_run_state(kube, ns, "rerun-1", "success")
    assert {k: v["tryNumber"] for k, v in tis(status).items()} == {"long": 2, "next": 1}
    reasons = [e.reason for e in events_for(kube, ns, "rerun-1")]
    assert "TaskFailed" not in reasons and "TaskRetrying" not in reasons


# --- mark failed ---------------------------------------------------------------------


def test_mark_failed_on_a_running_task_fails_it_and_downstream_follows_trigger_rules(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    tasks = [
        # Retries left: a task marked failed is failed, not up for retry.
        {"name": "slow", "bash": "sleep 1000", "retries": 2, "retryDelay": "1s"},
        {"name": "after", "bash": "true"},
        {"name": "cleanup", "bash": "true", "triggerRule": "all_done"},
        {"name": "alert", "bash": "true", "triggerRule": "one_failed"},
    ]
    kube.create(ns, "dags", dag("marked", tasks, ["slow >> [after, cleanup, alert]"]))
    kube.create(ns, "dagruns", manual_run("marked-1", "marked"))
    pod = wait_run_pod(kubelet, "marked-1", "slow")
    kubelet.start(pod.metadata.name)
    wait_ti_state(kube, ns, "marked-1", "slow", "running")

    patch_run(kube, ns, "marked-1", {"mark": {"id": "m1", "tasks": ["slow"], "state": "failed"}})
    wait_for(lambda: pod_gone(kubelet, pod.metadata.name), what="the marked task's pod deleted")
    run_task(kubelet, "marked-1", "cleanup")
    run_task(kubelet, "marked-1", "alert")
    status = wait_run_state(kube, ns, "marked-1", "failed")
    ti = tis(status)
    assert status["handledMark"] == "m1"
    assert state_of(ti["slow"]) == "failed"
    assert ti["slow"]["tryNumber"] == 1
    assert ti["slow"]["message"] == "marked failed by request m1"
    assert state_of(ti["after"]) == "upstream_failed"
    assert state_of(ti["cleanup"]) == "success"
    assert state_of(ti["alert"]) == "success"
    assert status["message"] == "failed tasks: after, slow"
    assert run_pods(kubelet, "marked-1", "after") == []
    assert tries_of(kubelet, "marked-1", "slow") <= {"1"}


def test_mark_failed_on_a_finished_run_settles_the_run_again(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("done", bash_tasks("a", "b"), ["a >> b"]))
    kube.create(ns, "dagruns", manual_run("done-1", "done"))
    run_task(kubelet, "done-1", "a")
    run_task(kubelet, "done-1", "b")
    before = tis(wait_run_state(kube, ns, "done-1", "success"))

    patch_run(kube, ns, "done-1", {"mark": {"id": "m2", "tasks": ["b"], "state": "failed"}})
    status = wait_run_state(kube, ns, "done-1", "failed")
    assert status["handledMark"] == "m2"
    assert status["message"] == "failed tasks: b"
    assert tis(status)["a"] == before["a"]
    assert state_of(tis(status)["b"]) == "failed"
    assert tis(status)["b"]["tryNumber"] == 1
    wait_for(
        lambda: "RunFailed" in {e.reason for e in events_for(kube, ns, "done-1")},
        what="RunFailed event",
    )


# --- events --------------------------------------------------------------------------


def test_a_task_failure_and_the_failed_run_are_events_on_the_dagrun(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("boom", bash_tasks("boom", "after"), ["boom >> after"]))
    kube.create(ns, "dagruns", manual_run("boom-1", "boom"))
    run_task(kubelet, "boom-1", "boom", code=3)
    status = wait_run_state(kube, ns, "boom-1", "failed")
    run_id = status["runId"]

    def posted() -> list[Any] | None:
        events = events_for(kube, ns, "boom-1")
        reasons = {e.reason for e in events}
        return events if {"TaskFailed", "RunFailed"} <= reasons else None

    events = wait_for(posted, what="TaskFailed and RunFailed events")
    failed = [e for e in events if e.reason == "TaskFailed"]
    run_failed = [e for e in events if e.reason == "RunFailed"]
    assert [e.message for e in failed] == ["boom try 1 failed: exit code 3"]
    assert [e.message for e in run_failed] == [f"run {run_id} failed: failed tasks: after, boom"]
    for event in failed + run_failed:
        assert event.type == "Warning"
        assert event.involved_object.kind == "DagRun"
        assert event.involved_object.uid == kube.get(ns, "dagruns", "boom-1")["metadata"]["uid"]
    assert "RunSucceeded" not in {e.reason for e in events}


# --- the DAG snapshot ----------------------------------------------------------------


def test_a_run_keeps_the_dag_definition_it_started_with(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    old_tasks = [{"name": "a", "bash": "echo a"}, {"name": "b", "bash": "echo old"}]
    kube.create(ns, "dags", dag("evolve", old_tasks, ["a >> b"]))
    kube.create(ns, "dagruns", manual_run("evolve-1", "evolve"))
    wait_for(lambda: run_status(kube, ns, "evolve-1").get("dagVersion"), what="its DAG version")

    new_tasks = [*old_tasks[:1], {"name": "b", "bash": "echo new"}, {"name": "c", "bash": "true"}]
    kube.custom.patch_namespaced_custom_object(
        "kairflow.io",
        "v1alpha1",
        ns,
        "dags",
        "evolve",
        {"spec": {"tasks": new_tasks, "flow": ["a >> b >> c"]}},
    )
    assert wait_dag_synced(kube, ns, "evolve")["observedGeneration"] == 2

    run_task(kubelet, "evolve-1", "a")
    b_pod = wait_run_pod(kubelet, "evolve-1", "b")
    assert b_pod.spec.containers[0].command == ["bash", "-c", WRAPPER, "echo old"]
    finish(kubelet, b_pod)
    status = wait_run_state(kube, ns, "evolve-1", "success")
    assert set(tis(status)) == {"a", "b"}
    assert status["progress"] == "2/2"
    assert run_dag_spec(kube, ns, status)["tasks"] == old_tasks
    assert run_dag_spec(kube, ns, status)["flow"] == ["a >> b"]
    assert status["dagGeneration"] == 1
    assert run_pods(kubelet, "evolve-1", "c") == []

    kube.create(ns, "dagruns", manual_run("evolve-2", "evolve"))
    run_task(kubelet, "evolve-2", "a")
    b_pod = wait_run_pod(kubelet, "evolve-2", "b")
    assert b_pod.spec.containers[0].command == ["bash", "-c", WRAPPER, "echo new"]
    finish(kubelet, b_pod)
    run_task(kubelet, "evolve-2", "c")
    status = wait_run_state(kube, ns, "evolve-2", "success")
    assert set(tis(status)) == {"a", "b", "c"}
    assert run_dag_spec(kube, ns, status)["tasks"] == new_tasks
    assert status["dagGeneration"] == 2


# --- manual runs with a logical date -------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "logical_date", "logical", "start", "end"),
    [
        # Mid-day: the last complete day before it.
        (
            "UTC",
            "2024-03-15T13:45:00Z",
            "2024-03-15T13:45:00+00:00",
            "2024-03-14T00:00:00+00:00",
            "2024-03-15T00:00:00+00:00",
        ),
        # On a tick: the interval ends at the logical date itself.
        (
            "UTC",
            "2024-03-15T00:00:00Z",
            "2024-03-15T00:00:00+00:00",
            "2024-03-14T00:00:00+00:00",
            "2024-03-15T00:00:00+00:00",
        ),
        # Naive: a wall time in the DAG's zone (CET, +01:00); days are Amsterdam days.
        (
            "Europe/Amsterdam",
            "2024-03-15T00:30:00",
            "2024-03-14T23:30:00+00:00",
            "2024-03-13T23:00:00+00:00",
            "2024-03-14T23:00:00+00:00",
        ),
    ],
    ids=["mid-day", "on-tick", "naive-in-dag-zone"],
)
def test_a_manual_run_with_a_logical_date_gets_the_interval_it_implies(
    kube: Kube,
    kubelet: FakeKubelet,
    timezone: str,
    logical_date: str,
    logical: str,
    start: str,
    end: str,
) -> None:
    ns = kubelet.namespace
    show = "{{ ds }}|{{ data_interval_start.isoformat() }}|{{ data_interval_end.isoformat() }}"
    kube.create(
        ns,
        "dags",
        dag(
            "daily",
            [{"name": "show", "bash": show}],
            schedule="@daily",
            timezone=timezone,
            startDate="2099-01-01",  # no scheduled runs next to the manual one
        ),
    )
    kube.create(ns, "dagruns", manual_run("daily-manual", "daily", logicalDate=logical_date))
    pod = wait_run_pod(kubelet, "daily-manual", "show")
    status = wait_for(
        lambda: (s := run_status(kube, ns, "daily-manual")).get("runId") and s,
        what="the run's status",
    )
    assert status["logicalDate"] == logical
    assert status["dataIntervalStart"] == start
    assert status["dataIntervalEnd"] == end
    assert status["runId"] == f"manual__{logical}"
    # The task sees the same dates (ds is the logical date's UTC day, as in Airflow).
    assert pod.spec.containers[0].command == [
        "bash",
        "-c",
        WRAPPER,
        f"{logical[:10]}|{start}|{end}",
    ]
    assert pod.metadata.annotations["kairflow.io/logical-date"] == logical
