"""Issue 13's journey, in a real browser on the real local cluster: a user opens the
DAG list, unpauses a DAG, triggers it with conf from the form, watches the grid turn
green live, opens a task's log, clears a task with its downstream, marks a task
failed, and follows a running task's log. Each step checks what the user sees and
what landed in Kubernetes (the DagRun's spec and status, as the CLI would write and
read them). One page for the whole story: it is never reloaded."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.stack import apply
from tests.e2e.ui.harness import Ui
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
RUNS = 90_000  # ms: pods are local processes, but the machine is shared
GREETING = "bonjour from the journey"

# The grid's cells of the watched column, as the page paints them, in order: proves
# the cells changed in the open page (live), one after the other.
WATCH_CELLS = """col => {
  window.__painted = [];
  const seen = {};
  const look = () => {
    for (const row of document.querySelectorAll('.g-row')) {
      const cell = row.querySelector(`.cell[data-col="${col}"]`);
      const state = cell && ([...cell.classList].find((c) => c.startsWith('st-')) || 'empty');
      if (state && seen[row.dataset.key] !== state) {
        seen[row.dataset.key] = state;
        window.__painted.push(`${row.dataset.key}:${state}`);
      }
    }
  };
  new MutationObserver(look).observe(document.body,
    { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  look();
}"""


def journey_dag(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {
            "paused": True,
            "params": {"greeting": "hello", "rows": 3},
            "tasks": [
                {"name": "extract", "bash": "echo extracting {{ params.rows }} rows"},
                {"name": "transform", "bash": 'echo "greeting: {{ dag_run.conf.greeting }}"'},
                {"name": "load", "bash": "echo loaded"},
            ],
            "flow": ["extract >> transform >> load"],
        },
    }


def cell(ui: Ui, task: str, col: int = 0) -> Locator:
    return ui.page.locator(f'.g-row[data-key="{task}"] .cell[data-col="{col}"]')


def panel_row(ui: Ui, name: str) -> Locator:
    return ui.page.locator(".ti-panel table.kv tr", has=ui.page.locator("th", has_text=name))


def status_of(kube: Kube, ns: str, run: str) -> dict[str, Any]:
    return kube.get(ns, "dagruns", run).get("status") or {}


def wait_status(
    kube: Kube, ns: str, run: str, check: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        status = status_of(kube, ns, run)
        return status if check(status) else None

    return wait_for(ready, timeout=RUNS / 1000, interval=0.3, what=what)


def tries(status: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {k: (ti.get("state"), ti.get("tryNumber")) for k, ti in status["taskInstances"].items()}


def trigger_from_the_form(ui: Ui, kube: Kube, ns: str) -> str:
    """The trigger dialog, generated from the DAG's params: a bad value is refused
    on the spot; good ones create the run. Returns the DagRun's name."""
    page = ui.page
    page.locator(".dag-header").get_by_role("button", name=re.compile("Trigger")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("greeting")).to_have_value("hello")
    expect(dialog.get_by_label("rows")).to_have_value("3")

    dialog.get_by_label("rows").fill("")
    dialog.get_by_label("rows").press_sequentially("1e")  # not a number
    expect(dialog.get_by_role("alert")).to_have_text("Enter a number.")
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("Enter a number.")
    expect(dialog).to_be_visible()

    dialog.get_by_label("rows").fill("5")
    dialog.get_by_label("greeting").fill(GREETING)
    expect(dialog.get_by_role("alert")).to_have_count(0)
    expect(dialog.get_by_label("Configuration JSON")).to_have_value(
        re.compile(rf'"greeting": "{GREETING}",\s+"rows": 5')
    )
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/grid\?run="))
    run = re.sub(r"^.*[?&]run=([^&]+).*$", r"\1", page.url)
    # The refused try created nothing: this is the only run.
    assert kube.kubectl("get", "dagruns", "-n", ns, "-o", "name").stdout.split() == [
        f"dagrun.kairflow.io/{run}"
    ]
    assert kube.get(ns, "dagruns", run)["spec"]["conf"] == {"greeting": GREETING, "rows": 5}
    return run


def test_a_user_runs_a_dag_from_the_list_to_a_cleared_and_a_failed_task(
    ui: Ui, kube: Kube, stack: str
) -> None:
    apply(kube, stack, journey_dag("journey"))
    page = ui.open("dags")
    page.evaluate("window.__notReloaded = true")

    # The DAG list: unpause with the toggle, then open the DAG.
    expect(ui.toggle("journey")).to_have_attribute("aria-checked", "false")
    ui.toggle("journey").click()
    expect(ui.toggle("journey")).to_have_attribute("aria-checked", "true")
    assert kube.get(stack, "dags", "journey")["spec"]["paused"] is False
    ui.dag_row("journey").get_by_role("link", name="journey").click()
    expect(page.locator(".grid-view")).to_contain_text("No runs yet")

    # Trigger with conf from the form; the grid opens on the new run.
    page.evaluate(WATCH_CELLS, 0)
    run = trigger_from_the_form(ui, kube, stack)
    for task in ("extract", "transform", "load"):
        expect(cell(ui, task)).to_have_class(re.compile(r"\bst-success\b"), timeout=RUNS)
    expect(page.locator('.g-bar-col[data-col="0"] .g-bar')).to_have_class(re.compile("st-success"))
    painted = page.evaluate("window.__painted")
    # Painted in the open page as it happened: load was shown not done before it was,
    # and after extract had succeeded.
    assert painted.index("load:st-success") > painted.index("extract:st-success"), painted
    assert next(p for p in painted if p.startswith("load:")) != "load:st-success", painted
    assert status_of(kube, stack, run)["state"] == "success"

    # A cell opens its task instance; its log has what the task printed from conf.
    cell(ui, "transform").click()
    panel = page.locator(".ti-panel")
    expect(panel.locator(".p-key")).to_have_text("transform")
    panel.get_by_role("tab", name="Log").click()
    expect(panel.locator(".log-box")).to_have_attribute("data-phase", "done")
    expect(panel.locator(".log-text")).to_contain_text(f"greeting: {GREETING}")

    # Clear with downstream: the dialog lists what it clears before acting.
    panel.get_by_role("button", name="Clear…").click()
    dialog = page.get_by_role("dialog")
    # The run named as the panel names it: its run id (the object's name is a tooltip).
    expect(dialog.get_by_role("heading")).to_contain_text(status_of(kube, stack, run)["runId"])
    expect(dialog.get_by_label("Downstream")).to_be_checked()
    expect(dialog.locator("table.preview tbody td.mono")).to_have_text(["transform", "load"])
    expect(dialog.locator(".preview-summary")).to_contain_text("will be cleared")
    dialog.get_by_role("button", name="Clear", exact=True).click()
    expect(dialog).to_have_count(0)
    asked = kube.get(stack, "dagruns", run)["spec"]["clear"]
    assert {k: v for k, v in asked.items() if k != "id"} == {
        "tasks": ["transform"],
        "downstream": True,
        "upstream": False,
        "onlyFailed": False,
    }
    done = wait_status(
        kube,
        stack,
        run,
        lambda s: s.get("handledClear") == asked["id"] and s.get("state") == "success",
        "the cleared tasks to run again",
    )
    assert tries(done) == {
        "extract": ("success", 1),
        "transform": ("success", 2),
        "load": ("success", 2),
    }
    # The panel follows: a second try, whose log the Log tab now shows.
    expect(panel.get_by_role("button", name="Try 2")).to_have_attribute("aria-pressed", "true")
    expect(panel.locator(".log-box")).to_have_attribute("aria-label", "Log of try 2")
    expect(panel.locator(".log-text")).to_contain_text(f"greeting: {GREETING}")
    panel.get_by_role("tab", name="Details").click()
    expect(panel_row(ui, "Try").locator("td")).to_have_text(re.compile(r"^2\b"))

    # Mark load failed: the dialog lists it; the cell and then the run turn failed.
    cell(ui, "load").click()
    expect(panel.locator(".p-key")).to_have_text("load")
    panel.get_by_role("button", name="Mark failed").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("table.preview tbody td.mono")).to_have_text(["load"])
    dialog.get_by_role("button", name="Mark failed").click()
    expect(dialog).to_have_count(0)
    marked = kube.get(stack, "dagruns", run)["spec"]["mark"]
    assert (marked["tasks"], marked["state"]) == (["load"], "failed")
    expect(cell(ui, "load")).to_have_class(re.compile(r"\bst-failed\b"))
    expect(cell(ui, "transform")).to_have_class(re.compile(r"\bst-success\b"))
    expect(page.locator('.g-bar-col[data-col="0"] .g-bar')).to_have_class(re.compile("st-failed"))
    failed = wait_status(
        kube, stack, run, lambda s: s.get("state") == "failed", "the run to fail after the mark"
    )
    assert failed["handledMark"] == marked["id"]
    assert tries(failed)["load"] == ("failed", 2)
    assert page.evaluate("window.__notReloaded") is True


def test_a_user_follows_the_log_of_a_running_task_until_it_ends(
    ui: Ui, kube: Kube, stack: str, tmp_path: Path
) -> None:
    # The task waits for the test between its lines (no timing to guess): a pod of
    # the local node is a process on this machine, so it sees the test's files.
    gate = tmp_path / "go-on"
    script = (
        "echo step 1\n"
        f"for i in $(seq 1200); do [ -e {gate} ] && break; sleep 0.1; done\n"
        "echo step 2\necho step 3\n"
    )
    dag = journey_dag("ticker")
    dag["spec"].update(paused=False, params={}, tasks=[{"name": "tick", "bash": script}], flow=[])
    apply(kube, stack, dag)
    page = ui.open_dag("ticker", "grid")
    page.evaluate("window.__notReloaded = true")
    page.locator(".dag-header").get_by_role("button", name=re.compile("Trigger")).click()
    page.get_by_role("dialog").get_by_role("button", name="Trigger", exact=True).click()
    expect(page).to_have_url(re.compile(r"/grid\?run="))
    run = re.sub(r"^.*[?&]run=([^&]+).*$", r"\1", page.url)

    cell(ui, "tick").click()
    panel = page.locator(".ti-panel")
    panel.get_by_role("tab", name="Log").click()
    log = panel.locator(".log-text")
    expect(log).to_contain_text("step 1", timeout=RUNS)
    expect(panel.locator(".log-box")).to_have_attribute("data-phase", "following")
    expect(panel.get_by_role("status")).to_have_text("Following")
    expect(cell(ui, "tick")).to_have_class(re.compile(r"\bst-running\b"))
    assert "step 3" not in log.inner_text()
    assert tries(status_of(kube, stack, run))["tick"] == ("running", 1)

    gate.touch()
    expect(log).to_contain_text("step 3", timeout=RUNS)
    expect(panel.locator(".log-box")).to_have_attribute("data-phase", "done")
    expect(cell(ui, "tick")).to_have_class(re.compile(r"\bst-success\b"))
    assert re.findall(r"step \d", log.inner_text()) == ["step 1", "step 2", "step 3"]
    assert page.evaluate("window.__notReloaded") is True
