"""The DAG page's actions on runs in a real browser, against the stack that runs them:
create a backfill from its dialog (the dry run first) and stop it, and delete a run,
each checked on the page and in Kubernetes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply, get_json, trigger, wait_finished
from tests.e2e.ui.conftest import Tabs
from tests.e2e.ui.harness import Ui
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
DagManifest = Callable[..., dict[str, Any]]


def runs_of(kube: Kube, ns: str, backfill: str) -> dict[str, str]:
    """Logical day -> state of the runs `backfill` made, as kubectl sees them."""
    found = get_json(kube, ns, "dagruns", "-l", f"kairflow.io/backfill={backfill}")["items"]
    return {
        (r.get("status") or {}).get("logicalDate", "")[:10]: (r.get("status") or {}).get("state")
        for r in found
    }


def gone(kube: Kube, ns: str, *what: str) -> bool:
    listed = kube.kubectl("get", "-n", ns, *what, "-o", "name", "--ignore-not-found")
    return listed.stdout.strip() == ""


def test_a_user_backfills_three_days_from_the_dialog_then_stops_the_backfill(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest, tmp_path: Path
) -> None:
    # Each day's run waits for its gate file: the test decides when a run may end.
    say = {"name": "say", "bash": f"while [ ! -e {tmp_path}/{{{{ ds }}}} ]; do sleep 0.2; done"}
    daily = {"schedule": "@daily", "startDate": "2024-01-01", "paused": True}
    apply(kube, stack, dag_manifest("greet", tasks=[say], flow=[], **daily))
    page = ui.open_dag("greet", "backfills")
    expect(page.locator(".backfills .empty")).to_contain_text("No backfills of this DAG")
    page.locator(".backfills").get_by_role("button", name="Backfill…").click()

    dialog = page.get_by_role("dialog")
    dialog.get_by_label("From", exact=True).fill("2024-01-01")
    dialog.get_by_label("To", exact=True).fill("2024-01-03")
    dialog.get_by_label("Max active runs").fill("1")
    # The dry run: every date and what happens to it, before anything is written.
    plan = dialog.locator("table.preview tbody tr")
    expect(plan.locator("td:first-child")).to_have_text(
        ["2024-01-01 00:00", "2024-01-02 00:00", "2024-01-03 00:00"]
    )
    expect(plan.locator(".action")).to_have_text(["create", "create", "create"])
    expect(dialog.get_by_role("status")).to_contain_text(
        "3 runs (3 to create, 0 to clear, 0 skipped), oldest first, at most 1 at once"
    )
    assert get_json(kube, stack, "backfills")["items"] == []

    dialog.get_by_role("button", name="Create backfill (3 runs)").click()
    expect(dialog).to_have_count(0)
    name = "greet-20240101-20240103"
    spec = kube.get(stack, "backfills", name)["spec"]
    assert (spec["dagName"], spec["maxActiveRuns"]) == ("greet", 1)
    assert (spec["from"][:10], spec["to"][:10]) == ("2024-01-01", "2024-01-03")
    row = page.locator(f'tr[data-backfill="{name}"]')
    expect(row.locator(".pill")).to_have_text("running")
    # One run at a time: the first runs, two wait.
    expect(row).to_contain_text("1 (1 in flight)")
    expect(row).to_contain_text("2 to start, next 2024-01-02T00:00:00+00:00")
    wait_for(lambda: runs_of(kube, stack, name) == {"2024-01-01": "running"}, what="first run")

    (tmp_path / "2024-01-01").touch()
    expect(row.get_by_role("img")).to_have_attribute(
        "aria-label", "2 of 3 runs started, 1 succeeded, 0 failed"
    )
    expect(row).to_contain_text("2 (1 in flight)")

    row.get_by_role("button", name="Stop").click()
    expect(dialog.get_by_role("heading")).to_have_text(f"Stop backfill {name}?")
    dialog.get_by_role("button", name="Stop backfill").click()
    expect(row).to_have_count(0)
    expect(page.locator(".backfills .empty")).to_be_visible()
    assert gone(kube, stack, "backfill", name)
    # Its runs stay (they belong to the DAG); the one in flight runs to the end.
    (tmp_path / "2024-01-02").touch()
    (tmp_path / "2024-01-03").touch()
    wait_for(
        lambda: runs_of(kube, stack, name) == {"2024-01-01": "success", "2024-01-02": "success"},
        what="the stopped backfill's two runs succeeded",
    )
    page.get_by_role("tab", name="Grid").click()
    expect(page.locator(".g-bar-col .g-bar.st-success")).to_have_count(2)


def test_a_user_deletes_a_run_and_it_leaves_kubernetes_and_every_open_grid(
    ui: Ui, tabs: Tabs, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    for run in ("etl-1", "etl-2"):
        trigger(kube, stack, "etl", run)
        wait_finished(kube, stack, run)
    assert not gone(kube, stack, "pods", "-l", "kairflow.io/dag-run=etl-1")
    # Someone else watches the same grid in another browser.
    other = tabs.new(ui.server, stack)
    other.sign_in_with_url()
    other.open_dag("etl", "grid")
    expect(other.page.locator(".g-bar-col")).to_have_count(2)

    page = ui.open_dag("etl", "grid")
    page.locator('.g-bar-col[data-run="etl-1"]').click()
    panel = page.get_by_role("region", name="DAG run")
    expect(panel.locator("tr", has_text="DagRun")).to_contain_text("etl-1")
    panel.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    run_id = kube.get(stack, "dagruns", "etl-1")["status"]["runId"]
    expect(dialog.get_by_role("heading")).to_have_text(f"Delete run {run_id}?")
    expect(dialog).to_contain_text("The DagRun etl-1, its task instances")
    dialog.get_by_role("button", name="Delete run").click()
    expect(dialog).to_have_count(0)

    wait_for(lambda: gone(kube, stack, "dagrun", "etl-1"), what="etl-1 deleted")
    # Its pods (and their logs) go with it: Kubernetes' garbage collector follows
    # their owner reference.
    wait_for(lambda: gone(kube, stack, "pods", "-l", "kairflow.io/dag-run=etl-1"), what="pods")
    assert not gone(kube, stack, "dagrun", "etl-2")
    for tab in (ui, other):
        expect(tab.page.locator('.g-bar-col[data-run="etl-1"]')).to_have_count(0)
        expect(tab.page.locator('.g-bar-col[data-run="etl-2"]')).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/dags/etl/grid$"))
    summary = page.get_by_role("region", name="DAG summary")
    expect(summary.get_by_role("heading")).to_have_text("The last run")
