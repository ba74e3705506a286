"""Airflow's DAGs page in a real browser: a user sees the namespace's DAGs, filters
them, flips the on/off toggle, and watches changes made elsewhere arrive live."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply, trigger
from tests.e2e.ui.harness import Ui
from tests.integration.kube import Kube

pytestmark = pytest.mark.e2e
DagManifest = Callable[..., dict[str, Any]]
# Daily since 2024 without catchup: unpaused, the DAG runs its latest interval at once.
DAILY = {"schedule": "0 0 * * *", "startDate": "2024-01-01", "catchup": False}


def rows(ui: Ui) -> list[str]:
    return [
        str(r)
        for r in ui.page.locator("table.dags tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.dag)"
        )
    ]


def test_a_user_sees_the_dags_and_filters_them_by_name_and_tag(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    for name, tags in [
        ("sales-report", ["finance", "daily"]),
        ("sales-forecast", ["finance"]),
        ("web-crawl", ["scraping"]),
    ]:
        apply(kube, stack, dag_manifest(name, tags=tags, description=f"the {name} job"))
    page = ui.open("dags")
    expect(page.locator("table.dags tbody tr")).to_have_count(3)
    assert rows(ui) == ["sales-forecast", "sales-report", "web-crawl"]
    expect(ui.dag_row("web-crawl")).to_contain_text("the web-crawl job")

    page.get_by_label("Search DAGs").fill("sales")
    expect(page.locator("table.dags tbody tr")).to_have_count(2)
    expect(page.get_by_role("heading", name=re.compile("^DAGs"))).to_contain_text("2 of 3")

    page.get_by_label("Filter by tag").select_option("daily")
    expect(page.locator("table.dags tbody tr")).to_have_count(1)
    assert rows(ui) == ["sales-report"]

    page.get_by_label("Search DAGs").fill("")
    page.get_by_label("Filter by tag").select_option("")
    expect(page.locator("table.dags tbody tr")).to_have_count(3)
    # A tag on a row filters by that tag, as Airflow's do.
    ui.dag_row("web-crawl").get_by_role("button", name="scraping").click()
    expect(page.locator("table.dags tbody tr")).to_have_count(1)
    expect(page.get_by_label("Filter by tag")).to_have_value("scraping")

    page.get_by_label("Filter by tag").select_option("")
    page.get_by_label("Filter by state").select_option("paused")
    expect(page.locator("table.dags tbody tr")).to_have_count(0)


def test_a_user_unpauses_a_dag_with_the_toggle_and_its_run_appears_live(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("nightly", paused=True, **DAILY))
    page = ui.open("dags")
    toggle = ui.toggle("nightly")
    expect(toggle).to_have_attribute("aria-checked", "false")
    expect(ui.dag_row("nightly")).to_contain_text("paused")

    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "true")
    assert kube.get(stack, "dags", "nightly")["spec"]["paused"] is False
    # The scheduler now creates the latest interval's run; the page shows it run to
    # success without a reload (the node agent really runs its two tasks).
    expect(ui.dag_row("nightly").locator(".dots .dot")).to_have_count(1)
    expect(ui.dag_row("nightly").locator(".dots .dot.st-success")).to_have_count(1, timeout=90_000)
    expect(ui.dag_row("nightly").locator(".pill")).to_have_text("success")

    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "false")
    assert kube.get(stack, "dags", "nightly")["spec"]["paused"] is True
    assert page.get_by_role("alert").count() == 0


def test_changes_made_with_kubectl_reach_the_open_page_without_a_reload(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    page = ui.open("dags")
    expect(ui.toggle("etl")).to_have_attribute("aria-checked", "true")
    # Anything a reload would forget: it must still be there at the end.
    page.evaluate("window.__notReloaded = true")

    kube.kubectl(
        "patch", "dag", "etl", "-n", stack, "--type", "merge", "-p", '{"spec":{"paused":true}}'
    )
    expect(ui.toggle("etl")).to_have_attribute("aria-checked", "false")

    apply(kube, stack, dag_manifest("etl-two", tags=["new"]))
    expect(ui.dag_row("etl-two")).to_be_visible()
    expect(page.get_by_label("Filter by tag").locator("option", has_text="new")).to_have_count(1)

    # A run of a paused DAG waits, queued (as in Airflow); unpaused, it runs.
    trigger(kube, stack, "etl", "etl-manual-1")
    expect(ui.dag_row("etl").locator(".pill")).to_have_text("queued")
    kube.kubectl(
        "patch", "dag", "etl", "-n", stack, "--type", "merge", "-p", '{"spec":{"paused":false}}'
    )
    expect(ui.toggle("etl")).to_have_attribute("aria-checked", "true")
    expect(ui.dag_row("etl").locator(".dots .dot.st-success")).to_have_count(1, timeout=90_000)

    kube.kubectl("delete", "dag", "etl-two", "-n", stack)
    expect(ui.dag_row("etl-two")).to_have_count(0)
    assert page.evaluate("window.__notReloaded") is True


def test_the_dag_name_opens_the_dag_page(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    page = ui.open("dags")
    ui.dag_row("etl").get_by_role("link", name="etl").click()
    expect(page).to_have_url(re.compile(rf"#/ns/{stack}/dags/etl/"))
    expect(page.locator("h1.dag-title")).to_have_text(re.compile(r"etl\s*$"))
