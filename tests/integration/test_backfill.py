"""The Backfill resource: progressive runs over a past range, each reprocess mode,
its own maxActiveRuns, runBackwards, conf, and deleting it."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from kairflow.api.common import GROUP, VERSION
from tests.integration.backfills import (
    backfill,
    backfill_status,
    daily,
    pending_dates,
    pods_by_run,
    tries_by_date,
    wait_backfill,
)
from tests.integration.helpers import dag, runs
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet
from tests.integration.run_watch import RunWatch

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]


def states_by_date(kube: Kube, ns: str, dag_name: str = "history") -> dict[str, str]:
    return {
        r["spec"]["logicalDate"][:10]: (r.get("status") or {}).get("state", "")
        for r in runs(kube, ns, dag_name)
    }


def fail_jan_2nd(pod: Any) -> tuple[int, None]:
    failing = "20240102" in pod.metadata.labels["kairflow.io/dag-run"]
    return (1 if failing else 0), None


def test_backfill_reprocess_modes(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", daily("history", [{"name": "load", "bash": "true"}], maxActiveRuns=2))
    with AutoKubelet(kubelet, fail_jan_2nd) as auto:
        kube.create(ns, "backfills", backfill("first", "history"))
        status = wait_backfill(kube, ns, "first")
        assert (status["total"], status["succeeded"], status["failed"]) == (3, 2, 1)
        assert status["progress"] == "3/3"
        assert states_by_date(kube, ns) == {
            "2024-01-01": "success",
            "2024-01-02": "failed",
            "2024-01-03": "success",
        }
        assert all(r["spec"]["runType"] == "backfill" for r in runs(kube, ns, "history"))

        kube.create(ns, "backfills", backfill("again-none", "history"))
        assert wait_backfill(kube, ns, "again-none")["total"] == 0

        auto.policy = lambda pod: (0, None)
        kube.create(ns, "backfills", backfill("again-failed", "history", reprocess="failed"))
        assert wait_backfill(kube, ns, "again-failed")["total"] == 1
        wait_for(
            lambda: states_by_date(kube, ns)["2024-01-02"] == "success", what="the failed day rerun"
        )
        # Only the failed day ran again.
        assert {d: t for d, (t, _) in tries_by_date(kube, ns, "history", "load").items()} == {
            "2024-01-01": 1,
            "2024-01-02": 2,
            "2024-01-03": 1,
        }

        kube.create(ns, "backfills", backfill("again-all", "history", reprocess="completed"))
        status = wait_backfill(kube, ns, "again-all")
        assert (status["total"], status["succeeded"], status["failed"]) == (3, 3, 0)
        # Every day ran once more: a try more each, a pod more each, no new run.
        assert {d: t for d, (t, _) in tries_by_date(kube, ns, "history", "load").items()} == {
            "2024-01-01": 2,
            "2024-01-02": 3,
            "2024-01-03": 2,
        }
        assert sorted(pods_by_run(kubelet).values()) == [["1", "2"], ["1", "2"], ["1", "2", "3"]]
    table = kube.kubectl("get", "backfills", "-n", ns).stdout
    assert "completed" in table and "3/3" in table


def test_reprocess_completed_reruns_successful_runs(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", daily("redo"))
    with AutoKubelet(kubelet):
        kube.create(ns, "backfills", backfill("first", "redo"))
        assert wait_backfill(kube, ns, "first")["succeeded"] == 3
        before = tries_by_date(kube, ns, "redo", "t")
        uids = {r["metadata"]["name"]: r["metadata"]["uid"] for r in runs(kube, ns, "redo")}
        assert {t for t, _ in before.values()} == {1}

        with RunWatch(kube, ns) as seen:
            kube.create(
                ns,
                "backfills",
                backfill("redo-all", "redo", reprocess="completed", maxActiveRuns=1),
            )
            status = wait_backfill(kube, ns, "redo-all")
            seen.caught_up()
    assert (status["state"], status["total"], status["created"]) == ("completed", 3, 3)
    assert (status["succeeded"], status["failed"], status["progress"]) == (3, 0, "3/3")
    after = tries_by_date(kube, ns, "redo", "t")
    for date, (try_number, pod) in after.items():
        # The same run, run again: its task has a new try, in a new pod.
        assert try_number == 2, (date, after)
        assert pod != before[date][1], (date, before, after)
    assert {r["metadata"]["name"]: r["metadata"]["uid"] for r in runs(kube, ns, "redo")} == uids
    assert seen.created() == []
    assert sorted(pods_by_run(kubelet).values()) == [["1", "2"]] * 3
    for name in uids:
        # Back through queued/running after it had succeeded, and success again.
        states = seen.states(name)
        assert states[0] == "success" and states[-1] == "success", (name, states)
        assert {"queued", "running"} & set(states[1:-1]), (name, states)
        labels = kube.get(ns, "dagruns", name)["metadata"]["labels"]
        assert labels["kairflow.io/backfill"] == "redo-all"
    # The Backfill's maxActiveRuns meters cleared runs too: one at a time.
    assert seen.max_in_flight() == 1


def test_max_active_runs_creates_runs_progressively(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    # The DAG allows many runs at once; the Backfill's own limit (2) is what counts.
    kube.create(ns, "dags", daily("steady", maxActiveRuns=16))
    with RunWatch(kube, ns) as seen:
        kube.create(ns, "backfills", backfill("five", "steady", to="2024-01-05", maxActiveRuns=2))

        # The pods stay Pending (no kubelet yet): two runs start, three wait.
        def two_started() -> dict[str, Any] | None:
            status = backfill_status(kube, ns, "five")
            pods = {p.metadata.labels["kairflow.io/dag-run"] for p in kubelet.pods()}
            ready = status.get("created") == 2 and len(pods) == 2
            return status if ready else None

        status = wait_for(two_started, what="two runs with a pod each")
        assert (status["state"], status["total"], status["progress"]) == ("running", 5, "0/5")
        assert (status["remaining"], status["nextLogicalDate"]) == (3, "2024-01-03T00:00:00+00:00")
        assert pending_dates(status) == ["2024-01-03", "2024-01-04", "2024-01-05"]
        assert sorted(states_by_date(kube, ns, "steady")) == ["2024-01-01", "2024-01-02"]
        row = kube.kubectl("get", "backfills", "five", "-n", ns, "--no-headers").stdout.split()
        assert row[:3] == ["five", "steady", "2024-01-01"] and row[4:6] == ["running", "0/5"]

        # Released, the runs finish and the rest follow, never more than two at once.
        with AutoKubelet(kubelet):
            status = wait_backfill(kube, ns, "five")
        seen.caught_up()
    assert (status["state"], status["succeeded"], status["progress"]) == ("completed", 5, "5/5")
    assert seen.created() == [f"2024-01-0{d}" for d in range(1, 6)]  # oldest first
    assert seen.max_in_flight() == 2, "\n".join(seen.history())
    assert set(states_by_date(kube, ns, "steady").values()) == {"success"}
    row = kube.kubectl("get", "backfills", "five", "-n", ns, "--no-headers").stdout.split()
    assert row[4:6] == ["completed", "5/5"]


def test_run_backwards_creates_newest_first(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", daily("rewind"))
    with RunWatch(kube, ns) as seen, AutoKubelet(kubelet):
        kube.create(ns, "backfills", backfill("back", "rewind", runBackwards=True, maxActiveRuns=1))
        status = wait_backfill(kube, ns, "back")
        seen.caught_up()
    assert (status["state"], status["succeeded"], status["progress"]) == ("completed", 3, "3/3")
    assert seen.created() == ["2024-01-03", "2024-01-02", "2024-01-01"]
    assert seen.max_in_flight() == 1


def test_a_backfill_with_a_long_name_is_woken_by_its_runs(kube: Kube, kubelet: FakeKubelet) -> None:
    """Longer than a label value may be (63): the label is hashed, the annotation
    keeps the name, and each finished run wakes the Backfill for the next one."""
    ns = kubelet.namespace
    name = "reload-" + "x" * 70
    kube.create(ns, "dags", daily("long-named"))
    with AutoKubelet(kubelet):
        kube.create(ns, "backfills", backfill(name, "long-named", maxActiveRuns=1))
        status = wait_backfill(kube, ns, name, timeout=30)
    assert (status["state"], status["progress"]) == ("completed", "3/3")
    annotations = {
        (r["metadata"].get("annotations") or {}).get("kairflow.io/backfill")
        for r in runs(kube, ns, "long-named")
    }
    assert annotations == {name}


def test_run_backwards_is_refused_with_depends_on_past(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(
        ns,
        "dags",
        dag(
            "past",
            [{"name": "t", "bash": "true", "dependsOnPast": True}],
            schedule="@daily",
            startDate="2024-01-01",
            paused=True,
        ),
    )
    kube.create(ns, "backfills", backfill("backwards", "past", runBackwards=True))
    status = wait_backfill(kube, ns, "backwards")
    assert status["state"] == "failed"
    assert "depend on their past run: t" in status["message"]


def test_conf_reaches_the_runs(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    command = "echo {{ dag_run.conf['region'] }} {{ params.region }} {{ params.tier }} {{ ds }}"
    kube.create(
        ns,
        "dags",
        daily(
            "configured",
            [{"name": "t", "bash": command}],
            params={"region": "default", "tier": "gold"},
        ),
    )
    conf = {"region": "eu-west", "batch": {"size": 3}}
    with AutoKubelet(kubelet):
        kube.create(
            ns, "backfills", backfill("with-conf", "configured", to="2024-01-02", conf=conf)
        )
        status = wait_backfill(kube, ns, "with-conf")
    assert (status["state"], status["succeeded"]) == ("completed", 2)
    made = runs(kube, ns, "configured")
    assert len(made) == 2
    assert all(r["spec"]["conf"] == conf for r in made)
    commands = sorted(p.spec.containers[0].command[-1] for p in kubelet.pods("t"))
    # conf overrides the DAG's params; the params it does not name keep their default.
    assert commands == [
        "echo eu-west eu-west gold 2024-01-01",
        "echo eu-west eu-west gold 2024-01-02",
    ]


def test_deleting_the_backfill_stops_it(kube: Kube, kubelet: FakeKubelet) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", daily("halted"))
    kube.create(ns, "backfills", backfill("doomed", "halted", maxActiveRuns=1))
    first = kubelet.wait_pod("t")  # the first run started; its pod stays Pending
    wait_for(lambda: backfill_status(kube, ns, "doomed").get("created") == 1, what="created 1")
    assert [r["spec"]["logicalDate"][:10] for r in runs(kube, ns, "halted")] == ["2024-01-01"]

    kube.custom.delete_namespaced_custom_object(GROUP, VERSION, ns, "backfills", "doomed")
    wait_for(lambda: gone(kube, ns, "backfills", "doomed"), what="backfill doomed gone")
    # A Backfill created after it went: once the operator has handled this one, it
    # has handled the deletion too (one watch stream delivers both, in order; the
    # deletion's handler only drops it from the cache).
    processed(kube, ns, "marker-1")

    # The run in flight finishes: a live Backfill would now create the next one (its
    # controller hears of it right after the run's status write).
    kubelet.start(first.metadata.name)
    kubelet.finish(first.metadata.name)
    wait_for(
        lambda: states_by_date(kube, ns, "halted")["2024-01-01"] == "success",
        what="the first run finished",
    )
    # ... and one more Backfill handled after that.
    processed(kube, ns, "marker-2")
    assert states_by_date(kube, ns, "halted") == {"2024-01-01": "success"}
    assert len(kubelet.pods()) == 1


def gone(kube: Kube, ns: str, plural: str, name: str) -> bool:
    try:
        kube.get(ns, plural, name)
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False


def processed(kube: Kube, ns: str, name: str) -> None:
    """Create a Backfill of a DAG that does not exist and wait for the operator to say
    so: proof that it handled the Backfill events before this one."""
    kube.create(ns, "backfills", backfill(name, "no-such-dag"))

    def handled() -> bool:
        return "not found" in (backfill_status(kube, ns, name).get("message") or "")

    wait_for(handled, what=f"backfill {name} handled")


def test_a_backfill_created_before_its_dag_starts_when_the_dag_comes(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    # As `kubectl apply -f dir/` may do: the Backfill's file sorts before the DAG's.
    kube.create(ns, "backfills", backfill("early", "late-dag"))
    wait_for(
        lambda: "not found" in (backfill_status(kube, ns, "early").get("message") or ""),
        what="the Backfill waiting for its DAG",
    )
    assert runs(kube, ns) == []
    kube.create(ns, "dags", daily("late-dag"))
    with AutoKubelet(kubelet):
        status = wait_backfill(kube, ns, "early", timeout=30)
    assert (status["state"], status["succeeded"], status["progress"]) == ("completed", 3, "3/3")
    assert "message" not in status, status  # no longer "DAG 'late-dag' not found"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "Planned")
