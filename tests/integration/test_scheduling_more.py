"""The DAG controller on the real apiserver, continued: waking up at run_after,
endDate, unpausing without catchup, and dependsOnPast across runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kairflow.core.naming import dagrun_name
from tests.integration.helpers import (
    dag,
    dag_status,
    manual_run,
    run_status,
    runs,
    wait_dag_synced,
    wait_run_state,
)
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def names(kube: Kube, ns: str, dag_name: str) -> set[str]:
    return {r["metadata"]["name"] for r in runs(kube, ns, dag_name)}


def scheduled(dag_name: str, *dates: datetime) -> set[str]:
    return {dagrun_name(dag_name, "scheduled", d) for d in dates}


def run_pods(kubelet: FakeKubelet, run: str) -> list[Any]:
    return list(
        kubelet.kube.core.list_namespaced_pod(
            kubelet.namespace, label_selector=f"kairflow.io/dag-run={run}"
        ).items
    )


def wait_run_pod(kubelet: FakeKubelet, run: str) -> Any:
    return wait_for(lambda: next(iter(run_pods(kubelet, run)), None), what=f"a pod of {run}")


def task(kube: Kube, ns: str, run: str, name: str) -> dict[str, Any]:
    instances: dict[str, Any] = run_status(kube, ns, run).get("taskInstances") or {}
    return instances.get(name) or {}


def patch_dag(kube: Kube, ns: str, name: str, patch: str) -> None:
    kube.kubectl("patch", "dag", name, "-n", ns, "--type=merge", "-p", patch)


def test_the_controller_sleeps_until_run_after_then_creates_the_run(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    """A duration schedule of 1h whose first interval ends a few seconds from now: the
    run is created when that interval ends, not before and not much later."""
    ns = kubelet.namespace
    run_after = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=7)
    start = run_after - timedelta(hours=1)
    kube.create(
        ns,
        "dags",
        dag("soon", [{"name": "noop"}], schedule="1h", startDate=start.isoformat(), catchup=True),
    )
    status = wait_dag_synced(kube, ns, "soon")
    assert status["nextRun"] == {
        "logicalDate": start.isoformat(),
        "dataIntervalStart": start.isoformat(),
        "dataIntervalEnd": run_after.isoformat(),
        "runAfter": run_after.isoformat(),
    }
    # The controller has seen the DAG and decided: nothing is due yet.
    assert runs(kube, ns, "soon") == []
    assert datetime.now(UTC) < run_after - timedelta(seconds=2), "too slow to test the wait"
    # More syncs before run_after (each one a spec change the controller reports as
    # observed) must not create the run early either.
    syncs = 0
    while datetime.now(UTC) < run_after - timedelta(seconds=2):
        syncs += 1
        patch_dag(kube, ns, "soon", f'{{"spec": {{"description": "sync {syncs}"}}}}')
        wait_dag_synced(kube, ns, "soon")
        found = runs(kube, ns, "soon")
        if datetime.now(UTC) < run_after:  # that sync, and the listing, came before it
            assert found == [], f"run created before run_after, at sync {syncs}"
    assert syncs > 0

    run: dict[str, Any] = wait_for(
        lambda: next(iter(runs(kube, ns, "soon")), {}),
        timeout=(run_after - datetime.now(UTC)).total_seconds() + 15,
        what="the run once its interval has ended",
    )
    assert run["metadata"]["name"] == dagrun_name("soon", "scheduled", start)
    assert run["spec"]["runType"] == "scheduled"
    assert run["spec"]["logicalDate"] == start.isoformat()
    assert run["spec"]["dataIntervalStart"] == start.isoformat()
    assert run["spec"]["dataIntervalEnd"] == run_after.isoformat()
    # creationTimestamp has whole seconds (truncated): a run created even a moment
    # before run_after would show the second before it.
    created = datetime.fromisoformat(run["metadata"]["creationTimestamp"])
    assert run_after <= created <= run_after + timedelta(seconds=5), (created, run_after)
    # The next interval is an hour later; only one run exists.
    wait_for(
        lambda: (
            (dag_status(kube, ns, "soon").get("nextRun") or {}).get("logicalDate")
            == run_after.isoformat()
        ),
        what="nextRun moved to the following interval",
    )
    assert names(kube, ns, "soon") == {run["metadata"]["name"]}


@pytest.mark.parametrize("hours_past_start", [0, 12], ids=["on-a-boundary", "mid-interval"])
def test_no_run_starts_after_the_end_date(
    kube: Kube, kubelet: FakeKubelet, hours_past_start: int
) -> None:
    """Like Airflow 2.6, endDate is compared with an interval's *start* (inclusive):
    the interval that starts on or before endDate is the last one."""
    ns = kubelet.namespace
    end = midnight(3) + timedelta(hours=hours_past_start)
    kube.create(
        ns,
        "dags",
        dag(
            "ending",
            [{"name": "noop"}],
            schedule="@daily",
            startDate=midnight(6).isoformat(),
            endDate=end.isoformat(),
            catchup=True,
        ),
    )
    expected = scheduled("ending", midnight(6), midnight(5), midnight(4), midnight(3))
    wait_for(lambda: names(kube, ns, "ending") == expected, what=f"runs {sorted(expected)}")

    def bookmarked() -> dict[str, Any]:
        status = dag_status(kube, ns, "ending")
        end = (status.get("lastAutomatedRun") or {}).get("dataIntervalEnd")
        return status if end == midnight(2).isoformat() else {}

    status = wait_for(bookmarked, what="the bookmark at the end of the last interval")
    # Nothing follows: no next run, and no runs for midnight(2) or midnight(1).
    assert status.get("nextRun") is None
    assert names(kube, ns, "ending") == expected
    starts = sorted(r["spec"]["dataIntervalStart"] for r in runs(kube, ns, "ending"))
    assert starts[-1] == midnight(3).isoformat()


def test_unpausing_without_catchup_creates_only_the_latest_interval(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "resumed",
            [{"name": "noop"}],
            schedule="@daily",
            startDate=midnight(6).isoformat(),
            catchup=False,
            paused=True,
        ),
    )
    status = wait_dag_synced(kube, ns, "resumed")
    assert runs(kube, ns, "resumed") == []
    # Paused, it shows what unpausing would create: yesterday's interval only.
    assert status["nextRun"]["logicalDate"] == midnight(1).isoformat()
    patch_dag(kube, ns, "resumed", '{"spec": {"paused": false}}')
    expected = scheduled("resumed", midnight(1))
    wait_for(lambda: names(kube, ns, "resumed") == expected, what="yesterday's run")
    status = wait_dag_synced(kube, ns, "resumed")
    # The controller has moved on to today's interval: the missed ones never come.
    assert status["nextRun"]["logicalDate"] == midnight(0).isoformat()
    assert status["lastAutomatedRun"]["dataIntervalStart"] == midnight(1).isoformat()
    assert names(kube, ns, "resumed") == expected
    (run,) = runs(kube, ns, "resumed")
    assert run["spec"]["dataIntervalStart"] == midnight(1).isoformat()
    assert run["spec"]["dataIntervalEnd"] == midnight(0).isoformat()


def _two_runs_depending_on_the_past(kube: Kube, ns: str, dag_name: str) -> tuple[str, str]:
    kube.create(
        ns,
        "dags",
        dag(
            dag_name,
            [{"name": "work", "bash": "true", "dependsOnPast": True, "retries": 0}],
            schedule="@daily",
            startDate=midnight(2).isoformat(),
            catchup=True,
        ),
    )
    first, second = (dagrun_name(dag_name, "scheduled", midnight(d)) for d in (2, 1))
    wait_for(lambda: names(kube, ns, dag_name) == {first, second}, what="two runs")
    return first, second


def _waiting_on_the_past(kube: Kube, ns: str, run: str, why: str) -> dict[str, Any]:
    """Until `run`'s task `work` waits on dependsOnPast because of `why`."""
    message = f"waiting: dependsOnPast, and work {why} in the previous run"

    def waiting() -> dict[str, Any]:
        ti = task(kube, ns, run, "work")
        return ti if ti.get("message") == message else {}

    return wait_for(waiting, what=f"{run}: {message!r}")


def test_depends_on_past_waits_for_the_previous_run_to_succeed(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    first, second = _two_runs_depending_on_the_past(kube, ns, "past-ok")
    pod = wait_run_pod(kubelet, first)  # the first run is exempt
    ti = _waiting_on_the_past(kube, ns, second, "is queued")
    assert ti.get("state", "none") == "none"
    assert run_pods(kubelet, second) == []
    kubelet.start(pod.metadata.name)
    ti = _waiting_on_the_past(kube, ns, second, "is running")
    assert ti.get("state", "none") == "none"
    assert run_pods(kubelet, second) == []
    kubelet.finish(pod.metadata.name)
    later = wait_run_pod(kubelet, second)
    done = task(kube, ns, first, "work")
    assert done["state"] == "success"
    kubelet.start(later.metadata.name)
    kubelet.finish(later.metadata.name)
    wait_for(lambda: run_status(kube, ns, second).get("state") == "success", what="second run")
    started = task(kube, ns, second, "work")
    assert started["state"] == "success"
    ended = datetime.fromisoformat(done["endDate"])
    assert datetime.fromisoformat(started["readyAt"]) >= ended
    assert later.metadata.creation_timestamp >= ended.replace(microsecond=0)


def test_depends_on_past_keeps_waiting_after_the_previous_run_failed(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    first, second = _two_runs_depending_on_the_past(kube, ns, "past-failed")
    pod = wait_run_pod(kubelet, first)
    kubelet.start(pod.metadata.name)
    kubelet.finish(pod.metadata.name, exit_code=1)
    wait_for(lambda: run_status(kube, ns, first).get("state") == "failed", what="first run failed")
    # The second run has synced since: its task waits, in Airflow's state "none"
    # (no state), and the run neither starts it nor fails as a deadlock.
    ti = _waiting_on_the_past(kube, ns, second, "is failed")
    assert ti.get("state", "none") == "none"
    assert ti.get("tryNumber", 0) == 0
    assert run_pods(kubelet, second) == []
    assert run_status(kube, ns, second)["state"] == "running"


def test_with_catchup_a_manual_run_between_two_intervals_is_not_the_previous_run(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    """Airflow's PrevDagrunDep with catchup: the second interval looks at the first,
    not at a manual run that came between (which looks at the first too)."""
    ns = kubelet.namespace
    first, second = _two_runs_depending_on_the_past(kube, ns, "past-manual")
    between = (midnight(2) + timedelta(hours=12)).isoformat()
    kube.create(
        ns, "dagruns", manual_run("past-manual-between", "past-manual", logicalDate=between)
    )
    pod = wait_run_pod(kubelet, first)
    kubelet.start(pod.metadata.name)
    _waiting_on_the_past(kube, ns, "past-manual-between", "is running")
    _waiting_on_the_past(kube, ns, second, "is running")
    kubelet.finish(pod.metadata.name)
    # Both start once the first interval succeeded: the second does not wait for the
    # manual run, still running, nor for its failure.
    manual_pod = wait_run_pod(kubelet, "past-manual-between")
    later = wait_run_pod(kubelet, second)
    kubelet.start(manual_pod.metadata.name)
    kubelet.finish(manual_pod.metadata.name, exit_code=1)
    kubelet.start(later.metadata.name)
    kubelet.finish(later.metadata.name)
    wait_for(lambda: run_status(kube, ns, second).get("state") == "success", what="second run")
    wait_run_state(kube, ns, "past-manual-between", "failed")
