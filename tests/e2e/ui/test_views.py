"""The DAG page's views of runs in a real browser, on runs the stack really ran: the
Graph of a run (the DAG version it ran, coloured by state), the Code tab (the DAG's
YAML, what a run ran with, the diff to now), the Gantt chart (a bar per try) and the
Calendar (a year of daily run states)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply, get_json, trigger, wait_finished
from tests.e2e.ui.harness import Ui
from tests.integration.helpers import run_dag_spec
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
DagManifest = Callable[..., dict[str, Any]]


def node(ui: Ui, task: str) -> Any:
    return ui.page.locator(f'svg.graph-svg g.gnode[data-task="{task}"]')


def edges(ui: Ui, upstream: str = "", downstream: str = "") -> Any:
    """The graph's arrows (from `upstream` to `downstream` when given)."""
    chosen = "".join(
        f'[data-{end}="{task}"]' for end, task in (("from", upstream), ("to", downstream)) if task
    )
    return ui.page.locator(f"svg.graph-svg path.gedge{chosen}")


def state_of(kube: Kube, ns: str, run: str) -> str | None:
    return (get_json(kube, ns, "dagrun", run).get("status") or {}).get("state")


def changed_after_a_run(kube: Kube, ns: str, dag_manifest: DagManifest) -> None:
    """`report` ran once as extract >> load (run report-v1); then a `clean` task that
    fails was put between them."""
    apply(kube, ns, dag_manifest("report"))
    trigger(kube, ns, "report", "report-v1")
    assert wait_finished(kube, ns, "report-v1")["state"] == "success"
    tasks = [
        {"name": "extract", "bash": "echo extract"},
        {"name": "clean", "bash": "echo 'bad rows' >&2; exit 1"},
        {"name": "load", "bash": "echo load"},
    ]
    apply(kube, ns, dag_manifest("report", tasks=tasks, flow=["extract >> clean >> load"]))


def test_a_runs_graph_keeps_the_edges_of_the_dag_version_it_ran(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    changed_after_a_run(kube, stack, dag_manifest)
    trigger(kube, stack, "report", "report-v2")
    assert wait_finished(kube, stack, "report-v2")["state"] == "failed"

    page = ui.open_dag("report", "graph?run=report-v1")
    expect(node(ui, "load")).to_have_class(re.compile(r"\bs-success\b"))
    expect(node(ui, "extract")).to_have_class(re.compile(r"\bs-success\b"))
    expect(node(ui, "clean")).to_have_count(0)
    expect(edges(ui)).to_have_count(1)
    expect(edges(ui, "extract", "load")).to_have_count(1)
    note = page.locator(".graph-note")
    expect(note).to_contain_text("earlier version of the DAG (2 tasks then, 3 now)")

    # The newer run, one step right in the run picker, ran the new version.
    page.get_by_role("button", name="Newer run").click()
    expect(page.get_by_label("Run", exact=True)).to_have_value("report-v2")
    expect(node(ui, "extract")).to_have_class(re.compile(r"\bs-success\b"))
    expect(node(ui, "clean")).to_have_class(re.compile(r"\bs-failed\b"))
    expect(node(ui, "load")).to_have_class(re.compile(r"\bs-upstream_failed\b"))
    expect(edges(ui)).to_have_count(2)
    expect(edges(ui, "extract", "clean")).to_have_count(1)
    expect(edges(ui, "clean", "load")).to_have_count(1)
    expect(note).to_have_count(0)
    node(ui, "clean").click()
    panel = page.get_by_role("complementary", name="Task clean")
    expect(panel).to_contain_text("failed")
    expect(panel.locator(".neighbours")).to_have_text(["Upstreamextract", "Downstreamload"])

    # Kubernetes agrees: each run kept the spec it started with.
    runs = {r["metadata"]["name"]: r["status"] for r in get_json(kube, stack, "dagruns")["items"]}
    assert run_dag_spec(kube, stack, runs["report-v1"])["flow"] == ["extract >> load"]
    assert run_dag_spec(kube, stack, runs["report-v2"])["flow"] == ["extract >> clean >> load"]
    assert runs["report-v2"]["taskInstances"]["clean"]["state"] == "failed"


def test_the_code_tab_shows_the_dags_yaml_and_what_changed_since_a_run(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    changed_after_a_run(kube, stack, dag_manifest)
    page = ui.open_dag("report", "code")
    yaml_view = page.get_by_label("Definition of DAG report")
    expect(yaml_view).to_contain_text("kind: DAG")
    expect(yaml_view).to_contain_text("- extract >> clean >> load")
    expect(yaml_view).not_to_contain_text("status:")

    # The old run's graph says it ran an earlier version, and links to the changes.
    ui.open_dag("report", "graph?run=report-v1")
    page.get_by_role("link", name="See what changed").click()
    expect(page.get_by_role("tab", name="Changes since a run")).to_have_attribute(
        "aria-selected", "true"
    )
    changes = page.get_by_label("Changes")
    expect(changes.locator(".diff-line.del")).to_contain_text(["- extract >> load"])
    expect(changes.locator(".diff-line.add", has_text="extract >> clean >> load")).to_have_count(1)
    expect(changes.locator(".diff-line.add", has_text="name: clean")).to_have_count(1)

    page.get_by_role("tab", name="A run's definition").click()
    ran = page.get_by_label("Definition run report-v1 ran with")
    expect(ran).to_contain_text("- extract >> load")
    expect(ran).not_to_contain_text("clean")


def test_the_gantt_chart_shows_the_queued_and_running_time_of_each_try(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    # `load` waits, queued, for its ConfigMap (as on a kubelet), then fails its first
    # try and succeeds on its retry.
    warehouse = {"configMapKeyRef": {"name": "warehouse", "key": "url"}}
    load = {
        "name": "load",
        "retries": 1,
        "retryDelay": "1s",
        "env": [{"name": "WAREHOUSE", "valueFrom": warehouse}],
        "bash": '[ "$KAIRFLOW_TRY_NUMBER" -ge 2 ] || { echo "$WAREHOUSE is busy"; exit 1; }',
    }
    tasks = [{"name": "extract", "bash": "sleep 1"}, load]
    apply(kube, stack, dag_manifest("flaky", tasks=tasks))
    trigger(kube, stack, "flaky", "flaky-1")

    page = ui.open_dag("flaky", "gantt")
    row = page.locator('.gantt-row[data-key="load"]')
    expect(page.locator('.gantt-row[data-key="extract"] .gbar.running.s-success')).to_have_count(1)
    expect(row.locator(".gbar.queued")).to_have_count(1)
    expect(row.locator(".gbar.running")).to_have_count(0)
    row.hover()
    tip = page.get_by_role("tooltip")
    expect(tip).to_contain_text("Try 1 · queued")
    # The queued bar grows on the open page while it waits.
    expect(tip).to_contain_text(re.compile(r"Queued\d\d:\d\d:\d\d for ([2-9]|\d\d)s"))
    ti = get_json(kube, stack, "dagrun", "flaky-1")["status"]["taskInstances"]["load"]
    assert ti["state"] == "queued"
    assert "CreateContainerConfigError" in ti["message"]

    kube.kubectl("create", "configmap", "warehouse", "-n", stack, "--from-literal=url=db:5432")
    expect(row.locator(".gbar.running")).to_have_count(2)
    expect(row.locator(".gbar.running.earlier.s-failed")).to_have_count(1)
    expect(row.locator(".gbar.running.s-success:not(.earlier)")).to_have_count(1)
    expect(page.locator(".run-picker .pill")).to_have_text("success")
    row.hover()
    expect(tip.locator("tr")).to_contain_text(
        ["Try 1 · failed", "Queued", "Running", "Try 2 · success", "Running"]
    )

    status = wait_finished(kube, stack, "flaky-1")
    assert (status["state"], status["taskInstances"]["load"]["tryNumber"]) == ("success", 2)
    pods = get_json(kube, stack, "pods", "-l", "kairflow.io/dag-run=flaky-1")["items"]
    names = sorted(p["metadata"]["name"] for p in pods)
    assert names == ["flaky-1-extract-1", "flaky-1-load-1", "flaky-1-load-2"]


def test_the_calendar_colours_each_day_by_its_runs_state(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest, tmp_path: Path
) -> None:
    # A run waits while its conf says `hold` (until the test releases it), then exits
    # with its conf's `code`.
    release = tmp_path / "release"
    hold = f'while [ "{{{{ params.hold }}}}" = yes ] && [ ! -e {release} ]; do sleep 0.2; done'
    task = {"name": "sell", "bash": f"{hold}; exit {{{{ params.code }}}}"}
    params = {"code": 0, "hold": "no"}
    apply(kube, stack, dag_manifest("sales", tasks=[task], flow=[], params=params))
    days = {"2024-03-01": {}, "2024-03-05": {"code": 1}, "2024-03-09": {"hold": "yes"}}
    for day, conf in days.items():
        trigger(kube, stack, "sales", f"sales-{day}", logicalDate=f"{day}T00:00:00Z", conf=conf)
    assert wait_finished(kube, stack, "sales-2024-03-01")["state"] == "success"
    assert wait_finished(kube, stack, "sales-2024-03-05")["state"] == "failed"
    wait_for(lambda: state_of(kube, stack, "sales-2024-03-09") == "running", what="running")

    page = ui.open_dag("sales", "calendar")
    expect(page.locator(".year")).to_have_text("2024")

    def day(date: str) -> Any:
        return page.locator(f'rect.cal-day[data-day="{date}"]')

    expect(day("2024-03-01")).to_have_class(re.compile(r"\bs-success\b"))
    expect(day("2024-03-05")).to_have_class(re.compile(r"\bs-failed\b"))
    expect(day("2024-03-09")).to_have_class(re.compile(r"\bs-running\b"))
    expect(day("2024-03-02")).to_have_class(re.compile(r"\bempty\b"))
    expect(page.locator(".cal-summary")).to_have_text(
        "3 runs on 3 days in 2024: 1 running, 1 failed, 1 success"
    )
    day("2024-03-05").hover()
    expect(page.get_by_role("tooltip")).to_contain_text("Tue 5 Mar 2024")
    expect(page.get_by_role("tooltip")).to_contain_text("1 failed")

    # The held run finishes: its day turns green on the open page.
    release.touch()
    expect(day("2024-03-09")).to_have_class(re.compile(r"\bs-success\b"))
    assert state_of(kube, stack, "sales-2024-03-09") == "success"

    day("2024-03-05").click()
    expect(page).to_have_url(re.compile(r"/grid\?run=sales-2024-03-05$"))
    expect(page.get_by_role("region", name="DAG run")).to_contain_text("sales-2024-03-05")
