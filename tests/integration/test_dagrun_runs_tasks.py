"""The DagRun controller on the real apiserver: pods per task instance, status,
hand-off, retries, XCom, events (the test writes pod status like a kubelet)."""

from __future__ import annotations

import time

import pytest

from kairflow.core.bash_xcom import WRAPPER
from tests.integration.helpers import dag, manual_run, run_dag_spec, run_status, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def test_a_manual_run_goes_through_a_chain(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "chain",
            [
                {"name": "extract", "bash": "echo extract"},
                {"name": "load", "bash": "echo {{ ti.xcom_pull('extract')['rows'] }}"},
            ],
            ["extract >> load"],
        ),
    )
    kube.create(ns, "dagruns", manual_run("chain-1", "chain", conf={}))
    pod = kubelet.run("extract", message='{"rows": 3}')
    # Pods: owned by the run, labelled, one container named base.
    assert pod.metadata.owner_references[0].kind == "DagRun"
    assert pod.metadata.labels["kairflow.io/dag"] == "chain"
    load = kubelet.wait_pod("load")
    assert load.spec.containers[0].command == ["bash", "-c", WRAPPER, "echo 3"]
    kubelet.start(load.metadata.name)
    kubelet.finish(load.metadata.name)
    status = wait_run_state(kube, ns, "chain-1", "success")
    assert status["progress"] == "2/2"
    assert status["taskInstances"]["extract"]["xcom"] == {"rows": 3}
    assert status["taskInstances"]["load"]["tryNumber"] == 1
    assert run_dag_spec(kube, ns, status)["tasks"][0]["name"] == "extract"
    table = kube.kubectl("get", "dagruns", "-n", ns).stdout
    assert "chain-1" in table and "success" in table and "2/2" in table


def test_hand_off_to_the_downstream_pod_is_fast(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag("handoff", [{"name": "a", "bash": "true"}, {"name": "b", "bash": "true"}], ["a >> b"]),
    )
    kube.create(ns, "dagruns", manual_run("handoff-1", "handoff"))
    pod = kubelet.wait_pod("a")
    kubelet.start(pod.metadata.name)
    written = time.monotonic()
    kubelet.finish(pod.metadata.name)
    kubelet.wait_pod("b", timeout=10)
    latency = time.monotonic() - written
    print(f"hand-off latency (pod Succeeded written -> downstream pod seen): {latency:.3f}s")
    assert latency < 5, "a pod event must wake the run at once, not after a requeue period"


def test_a_failed_try_is_retried_with_its_delay(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns, "dags", dag("retry", [{"name": "flaky", "bash": "x", "retries": 1, "retryDelay": "3s"}])
    )
    kube.create(ns, "dagruns", manual_run("retry-1", "retry"))
    kubelet.run("flaky", exit_code=2)
    failed = time.monotonic()
    waiting = wait_for(
        lambda: run_status(kube, ns, "retry-1")["taskInstances"]["flaky"].get("nextTryAt"),
        what="the retry's due time in the status",
    )
    assert run_status(kube, ns, "retry-1")["taskInstances"]["flaky"]["state"] == "up_for_retry"
    second = kubelet.wait_pod("flaky", try_number=2)
    # Not before its delay (the operator saw the failure after we wrote it).
    assert time.monotonic() - failed >= 3.0, f"try 2 came early (due {waiting})"
    kubelet.start(second.metadata.name)
    kubelet.finish(second.metadata.name)
    status = wait_run_state(kube, ns, "retry-1", "success")
    assert status["taskInstances"]["flaky"]["tryNumber"] == 2

    def reasons() -> set[str]:
        events = kube.core.list_namespaced_event(ns, field_selector="involvedObject.name=retry-1")
        return {e.reason for e in events.items}

    # Events are posted after the status write, so wait for the last one.
    wait_for(lambda: {"RunStarted", "TaskRetrying", "RunSucceeded"} <= reasons(), what="events")


def test_a_run_of_a_missing_dag_says_so_and_starts_when_it_appears(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dagruns", manual_run("late-1", "late"))
    wait_for(
        lambda: "not found" in (run_status(kube, ns, "late-1").get("message") or ""),
        what="DagNotFound message",
    )
    kube.create(ns, "dags", dag("late", [{"name": "a", "bash": "true"}]))
    kubelet.run("a")
    wait_run_state(kube, ns, "late-1", "success")
