"""The DAG controller on the real apiserver: catchup, maxActiveRuns, pause, status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.core.naming import dagrun_name
from tests.integration.helpers import dag, dag_status, printed_row, runs, wait_dag_synced
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def names(kube: Kube, ns: str, dag_name: str) -> set[str]:
    return {r["metadata"]["name"] for r in runs(kube, ns, dag_name)}


def test_catchup_creates_every_missed_interval(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    start = midnight(3)
    kube.create(
        ns,
        "dags",
        dag(
            "daily",
            [{"name": "noop"}],
            schedule="@daily",
            startDate=start.isoformat(),
            catchup=True,
        ),
    )
    expected = {dagrun_name("daily", "scheduled", start + timedelta(days=d)) for d in range(3)}
    wait_for(lambda: names(kube, ns, "daily") == expected, what=f"runs {sorted(expected)}")
    run = next(
        r
        for r in runs(kube, ns, "daily")
        if r["metadata"]["name"] == dagrun_name("daily", "scheduled", start)
    )
    assert run["spec"]["dataIntervalStart"] == start.isoformat()
    assert run["spec"]["dataIntervalEnd"] == (start + timedelta(days=1)).isoformat()
    assert run["metadata"]["ownerReferences"][0]["kind"] == "DAG"
    status = wait_for(
        lambda: (s := dag_status(kube, ns, "daily")).get("nextRun") and s,
        what="nextRun in DAG status",
    )
    assert status["nextRun"]["logicalDate"] == midnight(0).isoformat()
    assert status["nextRun"]["runAfter"] == midnight(-1).isoformat()
    wait_for(
        lambda: (dag_status(kube, ns, "daily").get("lastRun") or {}).get("state") == "success",
        what="lastRun success",
    )
    header, row = printed_row(kube, "dag", "daily", "-n", ns)
    assert header == ["NAME", "SCHEDULE", "PAUSED", "READY", "LAST RUN", "NEXT RUN", "AGE"]
    assert row[:5] == ["daily", "@daily", "false", "True", "success"]
    assert row[5] == midnight(-1).isoformat()  # next run: when it is due
    assert len(row) == 7, row  # and the age


def test_catchup_off_creates_only_the_latest_interval(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "latest",
            [{"name": "noop"}],
            schedule="0 0 * * *",
            startDate=midnight(10).isoformat(),
            catchup=False,
        ),
    )
    expected = {dagrun_name("latest", "scheduled", midnight(1))}
    wait_for(lambda: names(kube, ns, "latest") == expected, what="one run for yesterday")
    wait_dag_synced(kube, ns, "latest")
    assert names(kube, ns, "latest") == expected


def test_max_active_runs_limits_runs_in_flight(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "one-at-a-time",
            [{"name": "work", "bash": "true"}],
            schedule="@daily",
            startDate=midnight(3).isoformat(),
            maxActiveRuns=1,
        ),
    )
    wait_for(lambda: len(runs(kube, ns, "one-at-a-time")) == 1, what="the first run")
    wait_dag_synced(kube, ns, "one-at-a-time")
    assert len(runs(kube, ns, "one-at-a-time")) == 1  # no more while it is in flight
    with AutoKubelet(kubelet):
        wait_for(
            lambda: (
                len(runs(kube, ns, "one-at-a-time")) == 3
                and all(
                    (r.get("status") or {}).get("state") == "success"
                    for r in runs(kube, ns, "one-at-a-time")
                )
            ),
            timeout=60,
            what="three runs, one after another",
        )
    starts = sorted(r["status"]["startDate"] for r in runs(kube, ns, "one-at-a-time"))
    ends = sorted(r["status"]["endDate"] for r in runs(kube, ns, "one-at-a-time"))
    assert starts[1] >= ends[0] and starts[2] >= ends[1], "runs overlapped"


def test_paused_dags_create_nothing_until_unpaused(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "sleepy",
            [{"name": "noop"}],
            schedule="@daily",
            startDate=midnight(2).isoformat(),
            paused=True,
        ),
    )
    status = wait_dag_synced(kube, ns, "sleepy")
    assert runs(kube, ns, "sleepy") == []
    assert status["nextRun"]["logicalDate"] == midnight(2).isoformat()
    kube.kubectl(
        "patch", "dag", "sleepy", "-n", ns, "--type=merge", "-p", '{"spec": {"paused": false}}'
    )
    wait_for(lambda: len(runs(kube, ns, "sleepy")) == 2, what="two catchup runs after unpause")


def test_a_manual_run_on_a_paused_dag_waits_queued(kube: Kube, kubelet: FakeKubelet) -> None:
    from tests.integration.helpers import manual_run, run_status, wait_run_state

    ns = kubelet.namespace
    kube.create(ns, "dags", dag("held", [{"name": "noop"}], paused=True))
    kube.create(ns, "dagruns", manual_run("held-1", "held"))
    wait_for(lambda: run_status(kube, ns, "held-1").get("state") == "queued", what="queued run")
    kube.kubectl(
        "patch", "dag", "held", "-n", ns, "--type=merge", "-p", '{"spec": {"paused": false}}'
    )
    wait_run_state(kube, ns, "held-1", "success")
