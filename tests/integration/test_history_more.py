"""History, continued: the failed-runs limit and the TTL of finished runs; deleted
intervals are never scheduled again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.naming import dagrun_name
from tests.integration.helpers import dag, dag_status, runs, wait_dag_synced
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration


def midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def states(kube: Kube, ns: str, dag_name: str) -> dict[str, str | None]:
    return {
        r["metadata"]["name"]: (r.get("status") or {}).get("state")
        for r in runs(kube, ns, dag_name)
    }


def bookmark_end(kube: Kube, ns: str, dag_name: str) -> str | None:
    mark = dag_status(kube, ns, dag_name).get("lastAutomatedRun") or {}
    end: str | None = mark.get("dataIntervalEnd")
    return end


def resync(kube: Kube, ns: str, dag_name: str, description: str) -> dict[str, Any]:
    """Change the DAG's spec and wait until the controller has synced that generation:
    a sync that comes after everything the test observed before."""
    kube.kubectl(
        "patch",
        "dag",
        dag_name,
        "-n",
        ns,
        "--type=merge",
        "-p",
        f'{{"spec": {{"description": "{description}"}}}}',
    )
    return wait_dag_synced(kube, ns, dag_name)


def test_only_the_newest_failed_runs_are_kept(kube: Kube, tmp_path: Path) -> None:
    days = [midnight(d) for d in (5, 4, 3, 2, 1)]
    name = {day: dagrun_name("flaky", "scheduled", day) for day in days}
    succeeds = name[days[1]]  # one success among the failures: not counted against them
    with (
        own_namespace(kube, "failed-history") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        ops.start(env={"KAIRFLOW_FAILED_HISTORY": "2"}).wait_ready()

        def outcome(pod: Any) -> tuple[int, None]:
            return (0 if pod.metadata.labels["kairflow.io/dag-run"] == succeeds else 1, None)

        kube.create(
            ns,
            "dags",
            dag(
                "flaky",
                [{"name": "work", "bash": "true", "retries": 0}],
                schedule="@daily",
                startDate=days[0].isoformat(),
                catchup=True,
                maxActiveRuns=1,  # runs finish in order: "newest" is well defined
            ),
        )
        expected = {
            succeeds: "success",
            name[days[3]]: "failed",
            name[days[4]]: "failed",
        }
        with AutoKubelet(FakeKubelet(kube, ns), outcome):
            wait_for(
                lambda: bookmark_end(kube, ns, "flaky") == midnight(0).isoformat(),
                timeout=60,
                what="all five intervals scheduled",
            )
            wait_for(
                lambda: states(kube, ns, "flaky") == expected,
                timeout=60,
                what=f"runs {expected}",
            )
        status = resync(kube, ns, "flaky", "deleted runs stay deleted")
        assert states(kube, ns, "flaky") == expected
        assert status["activeRuns"] == 0
        assert status["nextRun"]["logicalDate"] == midnight(0).isoformat()


def test_finished_runs_are_deleted_after_their_ttl(kube: Kube, tmp_path: Path) -> None:
    ttl = timedelta(seconds=4)
    expected = {dagrun_name("short-lived", "scheduled", midnight(d)) for d in (2, 1)}
    with own_namespace(kube, "ttl") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env={"KAIRFLOW_RUN_TTL": "4s"}).wait_ready()
        kube.create(
            ns,
            "dags",
            dag(
                "short-lived",
                [{"name": "noop"}],
                schedule="@daily",
                startDate=midnight(2).isoformat(),
                catchup=True,
            ),
        )

        def both_finished() -> dict[str, dict[str, Any]]:
            found = {r["metadata"]["name"]: r for r in runs(kube, ns, "short-lived")}
            done = all((r.get("status") or {}).get("state") == "success" for r in found.values())
            return found if found.keys() == expected and done else {}

        finished = wait_for(both_finished, what="both runs finished (and still there)")
        ends = {n: datetime.fromisoformat(r["status"]["endDate"]) for n, r in finished.items()}
        gone_at: dict[str, datetime] = {}

        def all_gone() -> bool:
            present = {r["metadata"]["name"] for r in runs(kube, ns, "short-lived")}
            now = datetime.now(UTC)
            for run in expected - present:
                gone_at.setdefault(run, now)
            return not present

        wait_for(all_gone, timeout=30, what="both runs deleted by their TTL")
        for run, gone in gone_at.items():
            assert gone >= ends[run] + ttl, f"{run} deleted {gone - ends[run]} after it ended"
        # The deleted intervals are not scheduled again.
        status = resync(kube, ns, "short-lived", "deleted runs stay deleted")
        assert runs(kube, ns, "short-lived") == []
        assert status["lastAutomatedRun"]["dataIntervalEnd"] == midnight(0).isoformat()
        assert status["nextRun"]["logicalDate"] == midnight(0).isoformat()
