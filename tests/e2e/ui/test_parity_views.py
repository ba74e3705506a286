"""Issue 14's views in a real browser, against the stack that really runs the DAGs: a
user approves or rejects an approval task from its task instance panel, sees the
callbacks of a failed task there, reads a big XCom kept in a ConfigMap, and sees
what a DAG on assets waits for. Each checks what the page shows and what Kubernetes
holds (the DagRun's spec and status, the ConfigMap, the asset run)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.stack import apply, example, get_json, logs, trigger
from tests.e2e.ui.harness import KAIRFLOW, Ui
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
RUNS = 90_000  # ms: pods are local processes, but the machine is shared


def panel_row(ui: Ui, name: str | re.Pattern[str]) -> Locator:
    """A row of the task instance panel's tables, by its heading."""
    th = ui.page.locator("th", has_text=name)
    return ui.page.locator(".ti-panel table.kv tr", has=th)


def status_of(kube: Kube, ns: str, run: str) -> dict[str, Any]:
    return kube.get(ns, "dagruns", run).get("status") or {}


def finished(kube: Kube, ns: str, run: str) -> dict[str, Any]:
    return wait_for(
        lambda: (s := status_of(kube, ns, run)).get("state") in ("success", "failed") and s,
        timeout=RUNS / 1000,
        interval=0.3,
        what=f"run {run} finished",
    )


def open_instance(ui: Ui, dag: str, run: str, task: str, pane: str = "") -> Locator:
    """The grid with `task` of `run` open in its panel (as a shared link opens it)."""
    ui.open_dag(dag, f"grid?run={run}&task={task}" + (f"&pane={pane}" if pane else ""))
    panel = ui.page.get_by_role("region", name="Task instance")
    expect(panel.locator(".p-key")).to_have_text(task)
    return panel


# -- approval tasks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_reject", "button", "outcome", "states", "run_state"),
    [
        pytest.param(
            "skip",
            "Approve",
            "approve",
            {"build": "success", "approve_release": "success", "release": "success"},
            "success",
            id="approving-releases-the-build",
        ),
        pytest.param(
            "skip",
            "Reject",
            "reject",
            {"build": "success", "approve_release": "skipped", "release": "skipped"},
            "success",
            id="rejecting-with-on-reject-skip-skips-the-release",
        ),
        pytest.param(
            "fail",
            "Reject",
            "reject",
            {"build": "success", "approve_release": "failed", "release": "upstream_failed"},
            "failed",
            id="rejecting-with-on-reject-fail-fails-the-run",
        ),
    ],
)
def test_a_user_answers_an_approval_from_the_task_instance_panel(
    ui: Ui,
    kube: Kube,
    stack: str,
    on_reject: str,
    button: str,
    outcome: str,
    states: dict[str, str],
    run_state: str,
) -> None:
    dag = example("approval.yaml")
    approval = next(t for t in dag["spec"]["tasks"] if t["name"] == "approve_release")
    approval["approval"]["onReject"] = on_reject
    apply(kube, stack, dag)
    trigger(kube, stack, "release", "release-1")
    panel = open_instance(ui, "release", "release-1", "approve_release")

    # It waits, holding no pod: deferred, with the templated subject as its message.
    expect(panel.locator(".p-title .pill")).to_have_text("deferred", timeout=RUNS)
    waiting = status_of(kube, stack, "release-1")
    ds, run_id = waiting["logicalDate"][:10], waiting["runId"]
    expect(panel.locator(".p-message")).to_have_text(
        f"awaiting approval: Release the build of {ds}? (asked: release-managers)"
        f" — Built by run {run_id}; see the build task's log."
    )
    expect(panel_row(ui, "Pod").locator("td")).to_have_text("")
    assert status_of(kube, stack, "release-1")["state"] == "running"

    panel.get_by_role("button", name=button, exact=True).click()
    # The answer is a field of the run's spec, as `kairflow tasks approve` writes it.
    # (The page's "approved: the operator applies it" may be gone already: the
    # buttons go as soon as the operator has applied the answer.)
    answer = wait_for(
        lambda: (kube.get(stack, "dagruns", "release-1")["spec"].get("approvals") or {}).get(
            "approve_release"
        ),
        what="the answer in the run's spec",
    )
    assert (answer["outcome"], answer["by"], answer["tryNumber"]) == (outcome, "ui", 1)
    said = "approved" if outcome == "approve" else "rejected"

    # The operator applies it: the panel shows the decision, the run goes on to its end.
    expect(panel.locator(".p-title .pill")).to_have_text(states["approve_release"], timeout=RUNS)
    expect(panel_row(ui, "Decision").locator("td")).to_have_text(
        re.compile(rf"^{outcome} by ui at \S")
    )
    expect(panel.get_by_role("button", name=button, exact=True)).to_have_count(0)
    status = finished(kube, stack, "release-1")
    assert status["state"] == run_state
    assert {k: ti["state"] for k, ti in status["taskInstances"].items()} == states
    decided = status["taskInstances"]["approve_release"]
    assert (decided["approval"]["outcome"], decided["approval"]["by"]) == (outcome, "ui")
    assert decided["message"].startswith(f"{said} by ui")
    bar = ui.page.locator('.g-bar-col[data-run="release-1"] .g-bar')
    expect(bar).to_have_class(re.compile(rf"\bst-{run_state}\b"), timeout=RUNS)


# -- callbacks ----------------------------------------------------------------------


def test_the_panel_of_a_failed_task_lists_its_failure_callbacks_as_they_run(
    ui: Ui, kube: Kube, stack: str, tmp_path: Path
) -> None:
    # The task fails when the test says so: the panel is open before, as a user
    # watching the run has it.
    gate = tmp_path / "fail-now"
    load = {
        "name": "load",
        "bash": f"for i in $(seq 1200); do [ -e {gate} ] && break; sleep 0.1; done; exit 3",
        "onFailure": [
            {"name": "page", "bash": 'echo "{{ ti.task_id }} failed: {{ exception }}"'},
            {"name": "broken-pager", "bash": "echo no pager today; exit 4"},
        ],
    }
    dag = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "nightly"},
        "spec": {"tasks": [load], "flow": []},
    }
    apply(kube, stack, dag)
    trigger(kube, stack, "nightly", "nightly-1")
    panel = open_instance(ui, "nightly", "nightly-1", "load")
    expect(panel.locator(".p-title .pill")).to_have_text("running", timeout=RUNS)
    expect(panel.get_by_role("heading", name="Callbacks")).to_have_count(0)

    gate.touch()
    expect(panel.locator(".p-title .pill")).to_have_text("failed", timeout=RUNS)
    page_row = panel_row(ui, "onFailure · try 1 · page")
    broken_row = panel_row(ui, "onFailure · try 1 · broken-pager")
    expect(panel.get_by_role("heading", name="Callbacks")).to_be_visible()
    # Each callback's state as it ends, in the open panel (no reload).
    expect(page_row.locator(".pill")).to_have_text("success", timeout=RUNS)
    expect(broken_row.locator(".pill")).to_have_text("failed", timeout=RUNS)
    expect(broken_row.locator(".error")).to_have_text("exit code 4")

    # The run failed for its task, not for the callback; the status has both.
    status = finished(kube, stack, "nightly-1")
    assert (status["state"], status["taskInstances"]["load"]["state"]) == ("failed", "failed")
    called = wait_for(
        lambda: (
            (cbs := {c["name"]: c for c in status_of(kube, stack, "nightly-1")["callbacks"]})[
                "page"
            ].get("state")
            in ("success", "failed")
            and cbs
        ),
        what="the callbacks' states in the run's status",
    )
    assert {n: (c["kind"], c["state"]) for n, c in called.items()} == {
        "page": ("onFailure", "success"),
        "broken-pager": ("onFailure", "failed"),
    }
    expect(page_row.locator(".mono")).to_have_text(called["page"]["pod"])
    assert logs(kube, stack, called["page"]["pod"]).strip() == "load failed: exit code 3"


# -- big XComs ----------------------------------------------------------------------

# What the example's `regions` task returns: 4,200 bytes of JSON, over the 4 KiB limit.
REGIONS = [f"region-{i:03d}" for i in range(300)]


def test_the_xcom_pane_shows_a_big_xcom_read_from_its_configmap(
    ui: Ui, kube: Kube, stack: str
) -> None:
    dag = example("big_xcom.yaml")
    dag["spec"]["tasks"] = [t for t in dag["spec"]["tasks"] if t["name"] in ("regions", "load")]
    dag["spec"]["flow"] = ["regions >> load"]
    apply(kube, stack, dag)
    trigger(kube, stack, "big-xcom", "big-1")
    status = finished(kube, stack, "big-1")
    assert status["state"] == "success", status
    ref = status["taskInstances"]["regions"]["xcomRef"]
    assert "xcom" not in status["taskInstances"]["regions"]  # only the reference is kept
    stored = get_json(kube, stack, "configmap", ref["configMap"])
    assert [o["name"] for o in stored["metadata"]["ownerReferences"]] == ["big-1"]

    panel = open_instance(ui, "big-xcom", "big-1", "regions", pane="xcom")
    assert ref["size"] == len(json.dumps(REGIONS))
    expect(panel.locator(".p-kicker", has_text="return_value")).to_have_text(
        f"return_value · {ref['size']} bytes, kept in ConfigMap {ref['configMap']}"
    )
    expect(panel.locator(".p-json")).to_have_text(json.dumps(REGIONS, indent=2))
    # The mapped task read it as any XCom: one instance per region.
    assert sum(1 for k in status["taskInstances"] if k.startswith("load[")) == len(REGIONS)


# -- assets -------------------------------------------------------------------------


def emit(kube: Kube, ns: str, uri: str) -> None:
    """`kairflow assets emit URI`: an outside producer's update, as a user records it."""
    done = subprocess.run(
        [str(KAIRFLOW), "assets", "emit", uri, "-n", ns, "--kubeconfig", str(kube.kubeconfig)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_details_of_a_dag_on_assets_show_what_it_waits_for_live(
    ui: Ui, kube: Kube, stack: str
) -> None:
    dag = example("asset_consumer.yaml")
    dag["spec"].pop("schedule")  # on assets only: no run of the timetable in the way
    dag["spec"]["paused"] = False  # a paused DAG passes over the events
    apply(kube, stack, dag)
    page = ui.open_dag("asset-consumer", "details")
    assets = page.locator(".details table.kv tr", has=page.locator("th", has_text="Assets"))
    uris = ["s3://warehouse/orders", "s3://warehouse/refunds", "s3://warehouse/customers"]
    expect(assets.locator("td div")).to_have_text(sorted(f"{u}: waiting" for u in uris))

    # One branch of `(orders | refunds) & customers` holds: the page counts the event.
    emit(kube, stack, "s3://warehouse/orders")
    expect(assets).to_contain_text("s3://warehouse/orders: 1 event queued")
    expect(assets).to_contain_text("s3://warehouse/customers: waiting")
    assert get_json(kube, stack, "dagruns")["items"] == []

    # Both hold: one run consumes the events, and the DAG waits again on every asset.
    emit(kube, stack, "s3://warehouse/customers")
    expect(assets.locator("td div")).to_have_text(
        sorted(f"{u}: waiting" for u in uris), timeout=RUNS
    )
    runs = get_json(kube, stack, "dagruns")["items"]
    assert [r["spec"].get("runType") for r in runs] == ["asset_triggered"]
    assert sorted(runs[0]["spec"]["triggeringAssetEvents"]) == [
        "s3://warehouse/customers",
        "s3://warehouse/orders",
    ]
