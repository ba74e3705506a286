"""Finished runs beyond the history limits are deleted, and never scheduled again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.helpers import dag, dag_status, runs
from tests.integration.kube import Kube, wait_for
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration


def test_only_the_newest_successful_runs_are_kept(kube: Kube, tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=6)
    with own_namespace(kube, "history") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env={"KAIRFLOW_SUCCESS_HISTORY": "2"}).wait_ready()
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
        wait_for(
            lambda: (
                (dag_status(kube, ns, "daily").get("lastAutomatedRun") or {}).get("dataIntervalEnd")
                == (start + timedelta(days=6)).isoformat()
            ),
            what="all six intervals scheduled",
        )
        wait_for(
            lambda: (
                len(runs(kube, ns, "daily")) == 2
                and all(r["status"]["state"] == "success" for r in runs(kube, ns, "daily"))
            ),
            timeout=60,
            what="two runs kept",
        )
        kept = sorted(r["spec"]["logicalDate"] for r in runs(kube, ns, "daily"))
        assert kept == [(start + timedelta(days=d)).isoformat() for d in (4, 5)]
        # The bookmark in the DAG's status stops deleted intervals from coming back.
        assert dag_status(kube, ns, "daily")["activeRuns"] == 0
        assert len(runs(kube, ns, "daily")) == 2
