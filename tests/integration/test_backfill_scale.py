"""A Backfill over 20,000 hourly dates: accepted, it starts its first runs at its
maxActiveRuns, moves on as they finish, and its object stays small (the status keeps
the plan's exceptions and a cursor, not the dates). It is stopped long before the end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairflow.api.common import GROUP, VERSION
from tests.integration.backfills import backfill, backfill_status, daily, pending_dates
from tests.integration.helpers import runs
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

# 2024-01-01T00:00 to 2026-04-13T07:00, both included: 20,000 hourly logical dates.
FROM, TO, DATES = "2024-01-01T00:00:00Z", "2026-04-13T07:00:00Z", 20_000


def created(kube: Kube, ns: str, name: str, count: int) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        status = backfill_status(kube, ns, name)
        return status if (status.get("created") or 0) >= count else None

    # The first sync walks the 20,000 dates once to plan them (seconds of cron).
    return wait_for(reached, timeout=120, what=f"backfill {name} created {count}")


def object_size(kube: Kube, ns: str, name: str) -> int:
    return len(json.dumps(kube.get(ns, "backfills", name), separators=(",", ":")))


def test_a_backfill_of_20000_hourly_dates_starts_and_stays_small(
    kube: Kube, kubelet: FakeKubelet
) -> None:
    ns = kubelet.namespace
    kube.create(ns, "dags", daily("hourly", schedule="@hourly", maxActiveRuns=16))
    spec = {"from": FROM, "to": TO, "maxActiveRuns": 2}
    kube.create(ns, "backfills", backfill("years", "hourly", **spec))
    try:
        status = created(kube, ns, "years", 2)
        assert (status["state"], status["total"], status["dates"]) == ("running", DATES, DATES)
        assert (status["created"], status["remaining"]) == (2, DATES - 2)
        assert status["nextLogicalDate"] == "2024-01-01T02:00:00+00:00"
        assert pending_dates(status)[:1] == ["2024-01-01"]
        assert object_size(kube, ns, "years") < 16 * 1024
        # Its runs are the first two hours, and no more: the pods stay Pending.
        made = sorted(r["spec"]["logicalDate"] for r in runs(kube, ns, "hourly"))
        assert made == ["2024-01-01T00:00:00+00:00", "2024-01-01T01:00:00+00:00"]

        with AutoKubelet(kubelet):
            status = created(kube, ns, "years", 6)
        assert status["remaining"] == DATES - status["created"]
        assert status["nextLogicalDate"] > "2024-01-01T05:00:00+00:00"
        assert object_size(kube, ns, "years") < 16 * 1024
        # The first hours, oldest first, each once (more may have started since).
        made = sorted(r["spec"]["logicalDate"] for r in runs(kube, ns, "hourly"))
        assert len(made) >= 6
        assert made == [f"2024-01-01T{h:02d}:00:00+00:00" for h in range(len(made))]
    finally:
        # Stop it: the session's operator must not go on making 20,000 runs.
        kube.custom.delete_namespaced_custom_object(GROUP, VERSION, ns, "backfills", "years")
