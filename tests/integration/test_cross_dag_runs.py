"""Cross-DAG tasks on the real apiserver: a controller DAG triggers a target and
waits for it; a sensor waits for another DAG's task; a target run left behind by an
operator killed before it recorded it is adopted, never made twice."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.core import labels
from kairflow.core.cross_dag import trigger_mark, triggered_run_name
from tests.integration.helpers import dag, events_for, manual_run, run_status, runs, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]
DAY = "2026-03-04T00:00:00Z"
TARGET = dag(
    "target",
    [{"name": "work", "bash": "echo {{ params.size }}"}],
    params={"size": {"default": 1, "type": "integer", "maximum": 10}},
)


def trigger_task(**trigger: Any) -> dict[str, Any]:
    return {"name": "trigger", "triggerDagRun": {"dag": "target", **trigger}}


def test_a_controller_triggers_the_target_waits_and_pushes_its_run_id(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", TARGET)
    # Templates render to strings, as in Airflow (no native rendering).
    trigger = trigger_task(conf={"size": 3, "day": "{{ ds }}"}, waitForCompletion=True)
    after = {"name": "after", "bash": "echo {{ ti.xcom_pull('trigger') }}"}
    kube.create(ns, "dags", dag("ctrl", [trigger, after], ["trigger >> after"]))
    kube.create(ns, "dagruns", manual_run("ctrl-1", "ctrl", logicalDate=DAY))
    name = triggered_run_name("target", "ctrl-1", "trigger", 1)
    target = wait_for(
        lambda: next((r for r in runs(kube, ns, "target") if r["metadata"]["name"] == name), None),
        what="the triggered run",
    )
    assert target["spec"]["runType"] == "manual"
    assert target["spec"]["conf"] == {"size": 3, "day": "2026-03-04"}
    assert target["metadata"]["annotations"][labels.TRIGGERED_BY] == "ctrl-1/trigger/1"
    waiting = wait_for(
        lambda: (
            # The run's first write names it, the next one its task instances.
            (s := run_status(kube, ns, "ctrl-1").get("taskInstances", {}).get("trigger", {})).get(
                "triggeredRun"
            )
            and s
        ),
        what="the trigger recording its run",
    )
    assert waiting["state"] == "deferred"
    assert kubelet.pods("trigger") == []  # the operator decides it: no pod
    with AutoKubelet(kubelet):
        status = wait_run_state(kube, ns, "ctrl-1", "success", timeout=60)
    run_id = run_status(kube, ns, name)["runId"]
    assert status["taskInstances"]["trigger"]["xcom"] == run_id
    assert kubelet.pods("after")[0].spec.containers[0].command[-1] == f"echo {run_id}"


def test_a_trigger_whose_conf_the_target_refuses_fails_with_an_event(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", TARGET)
    kube.create(ns, "dags", dag("ctrl", [trigger_task(conf={"size": 50})]))
    kube.create(ns, "dagruns", manual_run("ctrl-1", "ctrl"))
    status = wait_run_state(kube, ns, "ctrl-1", "failed")
    message = status["taskInstances"]["trigger"]["message"]
    assert message == (
        "cannot trigger DAG 'target': conf 'size' must be <= 10, not 50 (param size: maximum 10)"
    )
    assert [r["metadata"]["name"] for r in runs(kube, ns, "target")] == []
    assert any(e.reason == "TaskFailed" and "cannot trigger" in e.message
               for e in events_for(kube, ns, "ctrl-1"))  # fmt: skip


def test_a_target_run_made_before_a_restart_is_adopted_not_made_twice(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    """The cluster as an operator killed between the create and the status write
    leaves it: the target run exists (its deterministic name, its annotation) and the
    trigger's status does not name it."""
    ns = kubelet.namespace
    target_dag = kube.create(ns, "dags", TARGET)
    kube.create(ns, "dags", dag("ctrl", [trigger_task(waitForCompletion=True)]))
    name = triggered_run_name("target", "ctrl-1", "trigger", 1)
    left = manual_run(name, "target")
    left["metadata"]["annotations"] = {labels.TRIGGERED_BY: trigger_mark("ctrl-1", "trigger", 1)}
    left["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DAG",
            "name": "target",
            "uid": target_dag["metadata"]["uid"],
            "controller": True,
        }
    ]
    kube.create(ns, "dagruns", left)
    kube.create(ns, "dagruns", manual_run("ctrl-1", "ctrl"))
    with AutoKubelet(kubelet):
        wait_run_state(kube, ns, "ctrl-1", "success", timeout=60)
    assert [r["metadata"]["name"] for r in runs(kube, ns, "target")] == [name]
    assert run_status(kube, ns, "ctrl-1")["taskInstances"]["trigger"]["triggeredRun"] == name


@pytest.mark.parametrize(
    ("exit_code", "state", "message"),
    [
        pytest.param(0, "success", "load of producer-1: success",
                     id="the other DAG's task succeeds: so does the sensor"),
        pytest.param(1, "failed", "load of producer-1: load in a failed state",
                     id="the other DAG's task fails: failedStates fail the sensor"),
    ],
)  # fmt: skip
def test_a_sensor_waits_for_another_dags_task(
    kube: Kube, kubelet: FakeKubelet, exit_code: int, state: str, message: str
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("producer", [{"name": "load", "bash": "load"}]))
    sensor = {
        "name": "wait",
        "externalTask": {"dag": "producer", "task": "load", "failedStates": ["failed"]},
        "sensor": {"timeout": "10m"},
    }
    kube.create(ns, "dags", dag("consumer", [sensor]))
    kube.create(ns, "dagruns", manual_run("consumer-1", "consumer", logicalDate=DAY))
    wait_for(
        lambda: run_status(kube, ns, "consumer-1").get("taskInstances", {}).get("wait", {})
        .get("state") == "deferred",
        what="the sensor deferred",
    )  # fmt: skip
    kube.create(ns, "dagruns", manual_run("producer-1", "producer", logicalDate=DAY))
    kubelet.run("load", exit_code=exit_code)
    status = wait_run_state(kube, ns, "consumer-1", state, timeout=60)
    assert status["taskInstances"]["wait"]["message"] == message
    assert kubelet.pods("wait") == []
