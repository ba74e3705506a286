"""A Backfill survives operator restarts: its plan and its cursor live in its status,
so a new operator process goes on where the killed one stopped, with one run per
logical date and each date run once.

Each test runs `python -m kairflow.operator --namespace NS` processes (see
operator_process.py) for a namespace that only they serve, and plays the kubelet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kairflow.api.common import GROUP, VERSION
from kairflow.core.naming import dagrun_name
from tests.integration.backfills import (
    backfill,
    backfill_status,
    daily,
    pending_dates,
    pods_by_run,
    tries_by_date,
    wait_backfill,
)
from tests.integration.helpers import runs
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration


def run_name(day: int) -> str:
    from datetime import UTC, datetime

    return dagrun_name("resilient", "backfill", datetime(2024, 1, day, tzinfo=UTC))


def wait_created(kube: Kube, ns: str, name: str, created: int) -> dict[str, Any]:
    """Until the Backfill's status says it has created (or cleared) `created` runs."""

    def reached() -> dict[str, Any] | None:
        status = backfill_status(kube, ns, name)
        return status if status.get("created") == created else None

    return wait_for(reached, what=f"backfill {name} created {created}")


def restore_status(kube: Kube, ns: str, name: str, status: dict[str, Any]) -> None:
    """Put back a status the Backfill had earlier: the last one a killed operator
    wrote, when it died before writing the next."""
    body = kube.get(ns, "backfills", name)
    kube.custom.replace_namespaced_custom_object_status(
        GROUP, VERSION, ns, "backfills", name, {**body, "status": status}
    )


def auto_kubelet(kubelet: FakeKubelet) -> AutoKubelet:
    """An AutoKubelet that runs the pods still Pending, not again the finished ones."""
    auto = AutoKubelet(kubelet)
    auto.handled |= {p.metadata.name for p in kubelet.pods() if p.status.phase != "Pending"}
    return auto


def assert_one_run_per_day(kube: Kube, kubelet: FakeKubelet, days: int, tries: str) -> None:
    """One run per date, by its deterministic name, each run with one pod per try."""
    names = sorted(r["metadata"]["name"] for r in runs(kube, kubelet.namespace, "resilient"))
    assert names == sorted(run_name(d) for d in range(1, days + 1))
    assert pods_by_run(kubelet) == {run_name(d): list(tries) for d in range(1, days + 1)}


def test_backfill_survives_an_operator_kill(kube: Kube, tmp_path: Path) -> None:
    with (
        own_namespace(kube, "backfill-kill") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        kubelet = FakeKubelet(kube, ns)
        ops.start().wait_ready()
        kube.create(ns, "dags", daily("resilient"))
        spec = {"to": "2024-01-04", "maxActiveRuns": 1}
        kube.create(ns, "backfills", backfill("four", "resilient", **spec))
        kubelet.run("t")  # the first run's pod
        wait_for(lambda: len(kubelet.pods()) == 2, what="the second run's pod")
        wait_created(kube, ns, "four", 2)
        ops.started[-1].kill()
        status = backfill_status(kube, ns, "four")  # killed half-way through the plan
        assert (status["created"], pending_dates(status)) == (2, ["2024-01-03", "2024-01-04"])

        ops.start().wait_ready()
        with auto_kubelet(kubelet):
            status = wait_backfill(kube, ns, "four")
        assert (status["state"], status["total"], status["created"]) == ("completed", 4, 4)
        assert (status["succeeded"], status["failed"], status["progress"]) == (4, 0, "4/4")
        assert_one_run_per_day(kube, kubelet, 4, "1")


def test_killed_between_creating_a_run_and_writing_the_status(kube: Kube, tmp_path: Path) -> None:
    with (
        own_namespace(kube, "backfill-lost") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        kubelet = FakeKubelet(kube, ns)
        ops.start().wait_ready()
        kube.create(ns, "dags", daily("resilient"))
        kube.create(ns, "backfills", backfill("three", "resilient", maxActiveRuns=1))
        first = kubelet.wait_pod("t")
        before = wait_created(kube, ns, "three", 1)
        assert pending_dates(before) == ["2024-01-02", "2024-01-03"]
        kubelet.start(first.metadata.name)
        kubelet.finish(first.metadata.name)
        wait_created(kube, ns, "three", 2)
        ops.started[-1].kill()
        # The moment this stands for: the sync that saw the first run finish created
        # the second and died before its status write (the one that moved the cursor
        # past the second date).
        restore_status(kube, ns, "three", before)

        ops.start().wait_ready()
        with auto_kubelet(kubelet):
            status = wait_backfill(kube, ns, "three", timeout=30)
        assert (status["state"], status["created"], pending_dates(status)) == ("completed", 3, [])
        assert (status["succeeded"], status["failed"], status["progress"]) == (3, 0, "3/3")
        assert_one_run_per_day(kube, kubelet, 3, "1")


def test_reprocess_completed_reruns_each_day_once_across_a_kill(kube: Kube, tmp_path: Path) -> None:
    with (
        own_namespace(kube, "backfill-redo") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
    ):
        kubelet = FakeKubelet(kube, ns)
        ops.start().wait_ready()
        kube.create(ns, "dags", daily("resilient"))
        with AutoKubelet(kubelet):
            kube.create(ns, "backfills", backfill("first", "resilient"))
            assert wait_backfill(kube, ns, "first")["succeeded"] == 3

        spec = {"reprocess": "completed", "maxActiveRuns": 1}
        kube.create(ns, "backfills", backfill("redo", "resilient", **spec))
        rerun = kubelet.wait_pod("t", try_number=2)  # the first day's new try
        before = wait_created(kube, ns, "redo", 1)
        assert pending_dates(before) == ["2024-01-02", "2024-01-03"]
        kubelet.start(rerun.metadata.name)
        kubelet.finish(rerun.metadata.name)
        wait_created(kube, ns, "redo", 2)
        ops.started[-1].kill()
        # Died right after clearing the second day, before the status write.
        restore_status(kube, ns, "redo", before)

        ops.start().wait_ready()
        with auto_kubelet(kubelet):
            status = wait_backfill(kube, ns, "redo", timeout=30)
        assert (status["state"], status["created"], pending_dates(status)) == ("completed", 3, [])
        assert (status["succeeded"], status["failed"], status["progress"]) == (3, 0, "3/3")
        # Each day ran exactly once more: try 2, never 3.
        assert {d: t for d, (t, _) in tries_by_date(kube, ns, "resilient", "t").items()} == {
            "2024-01-01": 2,
            "2024-01-02": 2,
            "2024-01-03": 2,
        }
        assert_one_run_per_day(kube, kubelet, 3, "12")
