"""An invalid DAG reports a Ready=False condition and an Event, never schedules,
never disturbs other DAGs, and recovers when fixed."""

from __future__ import annotations

import json

import pytest

from tests.integration.helpers import (
    dag,
    dag_status,
    events_for,
    manual_run,
    runs,
    wait_dag_synced,
    wait_run_state,
)
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def ready(kube: Kube, ns: str, name: str) -> dict[str, str]:
    conditions = dag_status(kube, ns, name).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), {})


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        pytest.param(
            {
                "tasks": [{"name": "a", "bash": "x"}, {"name": "b", "bash": "y"}],
                "flow": ["a >> b >> a"],
            },
            "cycle: a -> b -> a",
            id="a cycle",
        ),
        pytest.param(
            {"tasks": [{"name": "a", "bash": "x"}], "flow": ["a >> ghost"]},
            "unknown task 'ghost'",
            id="an unknown task",
        ),
        pytest.param(
            {
                "tasks": [{"name": "a", "bash": "x"}],
                "schedule": "61 * * * *",
                "startDate": "2024-01-01",
            },
            "minute field",
            id="a bad cron",
        ),
        pytest.param(
            {
                "tasks": [{"name": "a", "bash": "x"}],
                "schedule": "@daily",
                "startDate": "2024-01-01",
                "timezone": "Mars/Olympus",
            },
            "unknown time zone 'Mars/Olympus'",
            id="a bad time zone",
        ),
        pytest.param(
            {"tasks": [{"name": "a", "bash": "echo {{ ds"}]}, "bash:", id="a template syntax error"
        ),
    ],
)
def test_invalid_dag_reports_why(
    kube: Kube, kubelet: FakeKubelet, spec: dict[str, object], problem: str
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", dag("bad", **spec))  # type: ignore[arg-type]
    condition = wait_for(
        lambda: (c := ready(kube, ns, "bad")).get("status") == "False" and c, what="Ready=False"
    )
    assert condition["reason"] == "InvalidDag"
    assert problem in condition["message"]
    wait_for(
        lambda: any(
            e.reason == "InvalidDag" and problem in e.message for e in events_for(kube, ns, "bad")
        ),
        what="InvalidDag event",
    )
    assert runs(kube, ns, "bad") == []


def test_an_invalid_dag_does_not_disturb_a_valid_one_and_can_be_fixed(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    broken = dag(
        "broken",
        [{"name": "a", "bash": "x"}],
        ["a >> a"],
        schedule="@daily",
        startDate="2024-01-01",
        catchup=False,
    )
    kube.create(ns, "dags", broken)
    kube.create(ns, "dags", dag("fine", [{"name": "a", "bash": "true"}]))
    kube.create(ns, "dagruns", manual_run("fine-1", "fine"))
    kubelet.run("a")
    wait_run_state(kube, ns, "fine-1", "success")
    assert ready(kube, ns, "broken")["status"] == "False"
    kube.kubectl(
        "patch", "dag", "broken", "-n", ns, "--type=merge", "-p", json.dumps({"spec": {"flow": []}})
    )
    wait_for(lambda: ready(kube, ns, "broken").get("status") == "True", what="Ready=True")
    wait_dag_synced(kube, ns, "broken")
    wait_for(lambda: len(runs(kube, ns, "broken")) == 1, what="the fixed DAG schedules")
