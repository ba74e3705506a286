"""DAGs paused at creation (KAIRFLOW_DAGS_ARE_PAUSED_AT_CREATION=true) on the real API
server, through kubectl as a user would: a new DAG is paused once and makes no run;
unpaused, it schedules, and `kubectl apply` of its manifest again (edited or not) does
not pause it again; a DAG that says isPausedUponCreation: false is never paused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.integration.helpers import dag, events_for, runs, wait_dag_synced
from tests.integration.kube import Kube, wait_for
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration

DAILY = {"schedule": "@daily", "startDate": "2024-01-01", "catchup": False}
TASKS = [{"name": "t", "bash": "true"}]


def apply(kube: Kube, ns: str, manifest: dict[str, object]) -> None:
    kube.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(manifest))


def spec(kube: Kube, ns: str, name: str) -> dict[str, object]:
    return dict(kube.get(ns, "dags", name)["spec"])


def test_a_new_dag_is_paused_once_and_never_again(kube: Kube, tmp_path: Path) -> None:
    with own_namespace(kube, "paused") as ns, operators(kube.kubeconfig, ns, tmp_path) as ops:
        ops.start(env={"KAIRFLOW_DAGS_ARE_PAUSED_AT_CREATION": "true"}).wait_ready()
        manifest = dag("fresh", TASKS, **DAILY)
        apply(kube, ns, manifest)
        wait_for(lambda: spec(kube, ns, "fresh").get("paused") is True, what="paused")
        wait_dag_synced(kube, ns, "fresh")
        assert kube.get(ns, "dags", "fresh")["status"]["pausedAtCreation"] is True
        # Events are posted beside the sync, not before its status write: wait for it.
        wait_for(
            lambda: any(e.reason == "PausedAtCreation" for e in events_for(kube, ns, "fresh")),
            what="the PausedAtCreation Event",
        )
        assert runs(kube, ns, "fresh") == []

        kube.kubectl(  # what `kairflow dags unpause` does
            "patch", "dag", "fresh", "-n", ns, "--type=merge",
            "-p", json.dumps({"spec": {"paused": False}}),
        )  # fmt: skip
        wait_for(lambda: len(runs(kube, ns, "fresh")) == 1, what="the unpaused DAG's run")
        apply(kube, ns, manifest)  # the same manifest again
        apply(kube, ns, {**manifest, "spec": {**manifest["spec"], "description": "v2"}})
        wait_dag_synced(kube, ns, "fresh")
        assert spec(kube, ns, "fresh")["paused"] is False
        assert [e.reason for e in events_for(kube, ns, "fresh")].count("PausedAtCreation") == 1

        apply(kube, ns, dag("opted-out", TASKS, isPausedUponCreation=False, **DAILY))
        wait_for(lambda: len(runs(kube, ns, "opted-out")) == 1, what="the opted-out DAG's run")
        assert spec(kube, ns, "opted-out")["paused"] is False
