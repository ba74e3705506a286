"""Params with a JSON schema on the real API server: a run made with kubectl whose conf
a param refuses never starts (it fails at once, its Succeeded condition and a Warning
Event name the param), and a scheduled DAG whose param default fails its schema is not
Ready."""

from __future__ import annotations

import pytest

from tests.integration.helpers import (
    dag,
    dag_status,
    events_for,
    manual_run,
    run_status,
    runs,
    wait_run_state,
)
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

ROWS = {"default": 3, "type": "integer", "minimum": 1, "maximum": 100}
TASKS = [{"name": "load", "bash": "echo {{ params.rows }}"}]


def condition(conditions: list[dict[str, str]], kind: str) -> dict[str, str]:
    return next((c for c in conditions if c["type"] == kind), {})


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        pytest.param(
            {"rows": 500},
            "cannot run: conf 'rows' must be <= 100, not 500 (param rows: maximum 100)",
            id="a conf above the maximum",
        ),
        pytest.param(
            {"rows": "many"},
            "cannot run: conf 'rows' must be an integer, not a string (param rows: type integer)",
            id="a conf of the wrong type",
        ),
    ],
)
def test_a_kubectl_run_whose_conf_a_param_refuses_fails_without_a_pod(
    kube: Kube, kubelet: FakeKubelet, conf: dict[str, object], message: str
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("typed", TASKS, params={"rows": ROWS}))
    kube.create(ns, "dagruns", manual_run("typed-bad", "typed", conf=conf))
    status = wait_run_state(kube, ns, "typed-bad", "failed")
    assert status["message"] == message
    succeeded = condition(status["conditions"], "Succeeded")
    assert (succeeded["status"], succeeded["message"]) == ("False", message)
    wait_for(
        lambda: any(
            e.type == "Warning" and e.reason == "InvalidRun" and e.message == message
            for e in events_for(kube, ns, "typed-bad")
        ),
        what="the InvalidRun Warning Event",
    )
    assert kubelet.pods() == []
    assert "taskInstances" not in run_status(kube, ns, "typed-bad")


def test_a_conf_the_params_accept_runs_with_it(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("typed", TASKS, params={"rows": ROWS}))
    kube.create(ns, "dagruns", manual_run("typed-ok", "typed", conf={"rows": 42}))
    pod = wait_for(lambda: kubelet.pods("load"), what="the task's pod")[0]
    assert pod.spec.containers[0].command[-1] == "echo 42"
    kubelet.start(pod.metadata.name)
    kubelet.finish(pod.metadata.name)
    wait_run_state(kube, ns, "typed-ok", "success")


def test_a_scheduled_dag_whose_default_fails_its_schema_is_not_ready(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    params = {"rows": {**ROWS, "default": 0}}
    kube.create(
        ns, "dags", dag("typed", TASKS, params=params, schedule="@daily", startDate="2024-01-01")
    )
    ready = wait_for(
        lambda: (
            (c := condition(dag_status(kube, ns, "typed").get("conditions") or [], "Ready")).get(
                "status"
            )
            == "False"
            and c
        ),
        what="Ready=False",
    )
    assert ready["reason"] == "InvalidDag"
    assert ready["message"].startswith("param 'rows': the default must be >= 1, not 0 (minimum 1)")
    assert runs(kube, ns, "typed") == []
