"""Backfill manifests and waits shared by the Backfill tests."""

from __future__ import annotations

from typing import Any

from kairflow.api.backfill import BackfillPlan
from kairflow.core.backfill_plan import from_status
from kairflow.core.times import instant
from tests.integration.helpers import dag, runs
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import FakeKubelet


def backfill(name: str, dag_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": name},
        "spec": {"dagName": dag_name, "from": "2024-01-01", "to": "2024-01-03", **spec},
    }


def daily(name: str, tasks: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    """A paused @daily DAG (the scheduler makes no runs of its own: only backfills do)."""
    spec = {"schedule": "@daily", "startDate": "2024-01-01", "paused": True, **spec}
    return dag(name, tasks or [{"name": "t", "bash": "true"}], **spec)


def backfill_status(kube: Kube, ns: str, name: str) -> dict[str, Any]:
    return kube.get(ns, "backfills", name).get("status") or {}


def pending_dates(status: dict[str, Any]) -> list[str]:
    """The logical days the Backfill has still to start, in order: the status keeps
    its plan and a cursor (the next date), not a list of dates."""
    cursor, plan = status.get("nextLogicalDate"), status.get("plan")
    if not cursor or not plan:
        return []
    items = from_status(BackfillPlan.model_validate(plan)).items(instant(cursor))
    return [item.logical_date.isoformat()[:10] for item in items]


def wait_backfill(kube: Kube, ns: str, name: str, timeout: float = 60) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def completed() -> dict[str, Any] | None:
        last.clear()
        last.update(backfill_status(kube, ns, name))
        return last if last.get("state") in ("completed", "failed") else None

    try:
        return wait_for(completed, timeout=timeout, what=f"backfill {name} completed")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; its status: {last}") from None


def tries_by_date(kube: Kube, ns: str, dag_name: str, task: str) -> dict[str, tuple[int, str]]:
    """logical date -> (tryNumber, pod) of `task`'s task instance."""
    out = {}
    for r in runs(kube, ns, dag_name):
        ti = ((r.get("status") or {}).get("taskInstances") or {}).get(task) or {}
        out[r["spec"]["logicalDate"][:10]] = (ti.get("tryNumber"), ti.get("pod"))
    return out


def pods_by_run(kubelet: FakeKubelet) -> dict[str, list[str]]:
    """DagRun name -> the try labels of its pods."""
    out: dict[str, list[str]] = {}
    for pod in kubelet.pods():
        labels = pod.metadata.labels
        out.setdefault(labels["kairflow.io/dag-run"], []).append(labels["kairflow.io/try"])
    return {k: sorted(v) for k, v in out.items()}
