"""The pages fit a laptop and a phone: nothing makes the page scroll sideways (wide
content such as a table scrolls inside its own box, or wraps)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply
from tests.e2e.ui.harness import LAPTOP, PHONE, Ui
from tests.integration.kube import Kube

pytestmark = pytest.mark.e2e
DagManifest = Callable[..., dict[str, Any]]
LONG = "a-rather-long-unbroken-identifier-such-as-a-bucket-path/" * 3


@pytest.mark.parametrize(
    "viewport",
    [pytest.param(LAPTOP, id="on a laptop"), pytest.param(PHONE, id="on a phone")],
)
def test_the_dag_list_and_the_dag_page_fit_the_screen(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest, viewport: dict[str, int]
) -> None:
    apply(
        kube,
        stack,
        dag_manifest(
            "customer-lifetime-value-recomputation",
            description=f"Recomputes every customer's value from {LONG}",
            tags=["finance", "machine-learning", "weekly-but-sometimes-daily"],
            defaults={"owner": "data-science-platform-team"},
            params={"source": LONG},
            # Unpaused, it runs its latest interval at once: the run's dot, its
            # last-run pill and the DAG's Events (RunCreated) are on the pages.
            schedule="0 0 * * *",
            startDate="2024-01-01",
            catchup=False,
        ),
    )
    apply(kube, stack, dag_manifest("etl", tags=["daily"]))
    ui.resize(viewport)

    page = ui.open("dags")
    row = ui.dag_row("customer-lifetime-value-recomputation")
    expect(row.locator(".dots .dot.st-success")).to_have_count(1, timeout=90_000)
    expect(ui.dag_row("etl")).to_be_visible()
    assert ui.horizontal_overflow() <= 0

    ui.open_dag("customer-lifetime-value-recomputation", "details")
    expect(page.locator("table.events tbody tr").first).to_be_visible()
    expect(page.locator(".details pre.code")).to_contain_text("source")
    assert ui.horizontal_overflow() <= 0
