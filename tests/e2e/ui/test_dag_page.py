"""One DAG's page in a real browser: its header (toggle, schedule in words, next run,
owner, tags, description) and the Details tab (settings, params, Ready, Events)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply
from tests.e2e.ui.harness import Ui
from tests.integration.kube import Kube

pytestmark = pytest.mark.e2e
DagManifest = Callable[..., dict[str, Any]]


def detail(ui: Ui, title: str) -> Any:
    """The value cell of a row of the Details tab's settings table."""
    return ui.page.locator("table.kv tr", has=ui.page.locator("th", has_text=title)).locator("td")


def test_the_dag_page_shows_its_header_and_details(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(
        kube,
        stack,
        dag_manifest(
            "billing",
            schedule="0 6 * * *",
            timezone="Europe/Paris",
            # Not yet started: unpaused, it has a next run but creates none (a run in
            # flight would outlive the test).
            startDate="2099-01-01",
            paused=True,
            description="Bills every customer once a day",
            tags=["finance", "daily"],
            defaults={"owner": "data-team"},
            params={"region": "eu-west"},
        ),
    )
    page = ui.open_dag("billing", "details")
    header = page.locator(".dag-header")
    expect(page.locator("h1.dag-title")).to_have_text(re.compile(r"billing\s*$"))
    expect(header).to_contain_text("06:00")
    expect(header).to_contain_text("Owner: data-team")
    expect(header).to_contain_text("Bills every customer once a day")
    expect(header.locator(".tag")).to_have_text(["finance", "daily"])
    expect(ui.toggle("billing")).to_have_attribute("aria-checked", "false")

    expect(page.get_by_role("tab", name="Details")).to_have_attribute("aria-selected", "true")
    expect(detail(ui, "Time zone")).to_have_text("Europe/Paris")
    expect(detail(ui, "Tasks")).to_have_text("2")
    expect(detail(ui, "Paused")).to_have_text("yes")
    # Ready comes from the operator's status, pushed to the open page once it is written.
    expect(detail(ui, "Ready")).to_have_text(re.compile(r"^True"))
    expect(page.locator(".details pre.code")).to_contain_text('"region": "eu-west"')

    # The header's toggle is the list's: it writes spec.paused, and the page follows.
    ui.toggle("billing").click()
    expect(ui.toggle("billing")).to_have_attribute("aria-checked", "true")
    expect(detail(ui, "Paused")).to_have_text("no")
    assert kube.get(stack, "dags", "billing")["spec"]["paused"] is False
    expect(header).to_contain_text("Next run: 2099-01-01")


def test_a_dag_that_is_not_ready_says_why_on_its_page_and_in_the_list(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("broken", schedule="every tuesday-ish"))
    page = ui.open("dags")
    expect(ui.dag_row("broken").locator(".problem")).to_contain_text("Not ready:")
    ui.open_dag("broken", "details")
    expect(page.locator(".dag-header .problem")).to_contain_text("Not ready:")
    expect(detail(ui, "Ready")).to_have_text(re.compile(r"^False"))


def test_a_dag_that_does_not_exist_says_so(ui: Ui, stack: str) -> None:
    page = ui.open_dag("nowhere", "details")
    expect(page.get_by_role("alert").first).to_contain_text("not found")
