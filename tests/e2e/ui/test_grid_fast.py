"""The grid, its panels and the log in headless Chromium, against the fake Kubernetes
API (bench/fake_kube_api.py) and the UI server in-process: no control plane, a few
seconds. The browser tests against the real cluster are in this folder's other files.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bench import fake_kube_api, synthetic
from bench.fake_kube_api import FakeApi
from playwright.sync_api import Browser, expect

from kairflow.ui.auth import TokenAuth
from kairflow.ui.server import start
from tests.e2e.ui.harness import LAPTOP, PHONE

pytestmark = pytest.mark.e2e
NS = "grid"
SMALL_RUNS = 6
RETIRED = "legacy_load"


def grouped_dag_and_run() -> list[dict[str, Any]]:
    """A DAG with task groups: `etl` (with a tooltip) holding `extract` and the group
    `plain`, which does not prefix (its task's id is `load`, no dot); one run."""
    body = synthetic.dag(NS, "grouped", 0)
    body["spec"] |= {
        "groups": [
            {"name": "etl", "tooltip": "Extract and load"},
            {"name": "plain", "group": "etl", "prefixGroupId": False},
        ],
        "tasks": [
            {"name": "start", "bash": "true"},
            {"name": "etl.extract", "group": "etl", "bash": "true", "dependsOn": ["start"]},
            {"name": "load", "group": "etl.plain", "bash": "true", "dependsOn": ["etl.extract"]},
        ],
    }
    run = synthetic.run(NS, body, 0, 1, synthetic.first_logical_date(1))
    tis = run["status"]["taskInstances"]
    run["status"]["taskInstances"] = {k: v for k, v in tis.items() if "[" not in k}
    return [body, run]


class Servers:
    """The fake API and the UI server, on an event loop of their own."""

    def __init__(self) -> None:
        self.fake = FakeApi()
        for name, tasks, runs in [("small", 120, SMALL_RUNS), ("huge", 5000, 3)]:
            dag, bodies = synthetic.grid(NS, name, tasks, runs)
            # The oldest run ran a task the DAG no longer has.
            bodies[0]["status"]["taskInstances"][RETIRED] = synthetic.instance(
                bodies[0]["metadata"]["name"], RETIRED, "success", synthetic.EPOCH, 3
            )
            for body in [dag, *bodies]:
                self.fake.put(body)
        for body in grouped_dag_and_run():
            self.fake.put(body)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.cleanups: list[Any] = []
        self.url = self.call(self._start())

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def run(self, action: Callable[[], Any]) -> Any:
        async def inside() -> Any:
            return action()

        return self.call(inside())

    async def _start(self) -> str:
        fake_runner, fake_port = await fake_kube_api.start(self.fake)
        auth = TokenAuth(f"http://127.0.0.1:{fake_port}", None)
        ui_runner, ui_port = await start(auth, NS, "127.0.0.1", 0)
        self.cleanups = [ui_runner, fake_runner]
        return f"http://127.0.0.1:{ui_port}"

    def stop(self) -> None:
        for runner in self.cleanups:
            self.call(runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def runs(self, dag: str) -> list[str]:
        return sorted(
            name
            for name, body in self.fake.objects[(NS, "dagruns")].items()
            if body["spec"]["dagName"] == dag
        )


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    found = Servers()
    yield found
    found.stop()


# `browser` (tests/e2e/conftest.py) first: without chromium the tests skip (in CI, fail)
# before the servers start.
@pytest.fixture
def page(browser: Browser, servers: Servers, request: pytest.FixtureRequest) -> Iterator[Any]:
    viewport = getattr(request, "param", LAPTOP)
    context = browser.new_context(viewport=viewport)
    signed_in = context.request.post(f"{servers.url}/login", form={"token": "someone"})
    assert signed_in.ok, signed_in.text()  # the fake API accepts any token (its /version/)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


def open_grid(page: Any, servers: Servers, dag: str, query: str = "") -> None:
    page.goto(f"{servers.url}/#/ns/{NS}/dags/{dag}/grid{query}")
    page.wait_for_selector(".g-wrap[data-ready] .g-row .cell")


def cell(page: Any, key: str, col: int) -> Any:
    return page.locator(f'.g-row[data-key="{key}"] .cell[data-col="{col}"]')


def test_runs_are_columns_newest_at_the_right_and_tasks_rows_in_the_dags_order(
    page: Any, servers: Servers
) -> None:
    open_grid(page, servers, "small")
    runs = [el.get_attribute("data-run") for el in page.locator(".g-bar-col").all()]
    assert runs == servers.runs("small")  # names sort by logical date here: oldest first
    keys = page.locator(".g-row").evaluate_all("rows => rows.map(r => r.dataset.key)")
    assert keys[:3] == ["stage_00", "stage_00.task_00000", "stage_00.task_00001"]
    newest = SMALL_RUNS - 1
    assert "st-success" in cell(page, "stage_00.task_00000", newest).get_attribute("class")
    # A group's cell is its most telling state: the newest run is still running.
    assert "st-running" in cell(page, "stage_00", newest).get_attribute("class")
    page.locator(".g-wrap").evaluate("wrap => { wrap.scrollTop = 60 * 22; }")
    page.wait_for_selector('.g-row[data-key="stage_00.task_00065"]')
    assert "st-running" in cell(page, "stage_00.task_00065", newest).get_attribute("class")
    page.locator(".g-wrap").evaluate("wrap => { wrap.scrollTop = wrap.scrollHeight; }")
    page.wait_for_selector('.g-row[data-key="stage_01"]')
    assert "st-none" in cell(page, "stage_01", newest).get_attribute("class")


def test_a_cell_opens_its_task_instance_and_a_reload_restores_it(
    page: Any, servers: Servers
) -> None:
    open_grid(page, servers, "small")
    cell(page, "stage_00.task_00003", 4).click()
    panel = page.locator(".ti-panel")
    assert panel.locator(".p-key").inner_text() == "stage_00.task_00003"
    run = servers.runs("small")[4]
    assert f"run={run}" in page.url and "task=stage_00.task_00003" in page.url
    assert panel.get_by_text("Rendered command").is_visible()
    panel.locator(".p-command").first.wait_for()
    page.reload()
    page.wait_for_selector(".ti-panel .p-key")
    assert page.locator(".ti-panel .p-key").inner_text() == "stage_00.task_00003"
    assert "focus" in cell(page, "stage_00.task_00003", 4).get_attribute("class")


def test_a_state_change_from_the_api_recolours_the_open_grid(page: Any, servers: Servers) -> None:
    open_grid(page, servers, "small")
    newest = servers.runs("small")[-1]
    target = cell(page, "stage_00.task_00007", SMALL_RUNS - 1)
    assert "st-success" in target.get_attribute("class")
    servers.run(lambda: servers.fake.set_states(NS, newest, {"stage_00.task_00007": "failed"}))
    page.wait_for_selector(
        f'.g-row[data-key="stage_00.task_00007"] .cell[data-col="{SMALL_RUNS - 1}"].st-failed'
    )
    servers.run(lambda: servers.fake.set_states(NS, newest, {"stage_00.task_00007": "success"}))


def test_the_log_of_a_running_instance_is_followed_until_it_ends(
    page: Any, servers: Servers
) -> None:
    newest = servers.runs("small")[-1]
    key = "stage_00.task_00061"  # the newest run's instances after the first half run
    open_grid(page, servers, "small", f"?run={newest}&task={key}&pane=log")
    page.wait_for_selector(".log-box[data-phase=following]")
    page.wait_for_function(
        "() => document.querySelector('.log-text').textContent.includes('step 2')"
    )
    servers.run(lambda: servers.fake.set_states(NS, newest, {key: "success"}))
    page.wait_for_selector(".log-box[data-phase=done]")
    assert page.locator(".log-text").inner_text().rstrip().endswith("done: success")


def test_the_log_of_a_cleaned_up_pod_says_it_no_longer_exists(page: Any, servers: Servers) -> None:
    oldest = servers.runs("small")[0]  # the fake keeps the pods of the newest 3 runs only
    open_grid(page, servers, "small", f"?run={oldest}&task=stage_00.task_00001&pane=log")
    error = page.locator(".log-error")
    error.wait_for()
    assert "no longer exists" in error.inner_text()


def test_groups_collapse_and_a_mapped_task_expands_into_its_instances(
    page: Any, servers: Servers
) -> None:
    open_grid(page, servers, "small")
    page.get_by_role("button", name="Collapse stage_00").click()
    assert page.locator('.g-row[data-key="stage_00.task_00000"]').count() == 0
    page.get_by_role("button", name="Expand stage_00").click()
    assert page.locator('.g-row[data-key="stage_00.task_00000"]').count() == 1
    # The mapped task follows stage_00's first task: its row comes after that group.
    page.locator(".g-wrap").evaluate("wrap => { wrap.scrollTop = 95 * 22; }")
    mapped = page.locator(f'.g-row[data-key="{synthetic.MAPPED}"]')
    assert mapped.locator(".g-count").inner_text() == str(synthetic.MAPPED_COUNT)
    page.get_by_role("button", name=f"Expand {synthetic.MAPPED}").click()
    last = f"{synthetic.MAPPED}[{synthetic.MAPPED_COUNT - 1}]"
    page.wait_for_selector(f'.g-row[data-key="{last}"]')
    page.get_by_role("button", name=f"Collapse {synthetic.MAPPED}").click()
    page.wait_for_selector(f'.g-row[data-key="{last}"]', state="detached")


def test_the_grid_and_graph_nest_tasks_by_the_specs_task_groups(
    page: Any, servers: Servers
) -> None:
    open_grid(page, servers, "grouped")
    labels = page.locator(".g-label").all_inner_texts()
    assert labels == ["start", "etl", "extract", "plain", "load"]
    assert page.locator(".g-label.group").first.get_attribute("title") == "etl: Extract and load"
    # The group's panel clears the group by its id: the preview lists its tasks and
    # what follows (downstream is on), nested groups included.
    cell(page, "etl", 0).click()
    page.locator(".group-panel").get_by_role("button", name="Clear…").click()
    dialog = page.get_by_role("dialog")
    assert dialog.locator("h2, .d-title, header").first.inner_text().startswith("Clear etl in run")
    status = dialog.locator(".preview-summary")
    status.wait_for()
    assert "2 task instances in 1 run" in status.inner_text()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Collapse etl.plain").click()
    assert page.locator('.g-row[data-key="load"]').count() == 0
    page.goto(f"{servers.url}/#/ns/{NS}/dags/grouped/graph")
    page.wait_for_selector('svg.graph-svg g.gnode[data-task="load"]')
    assert page.locator('g.gbox[data-group="etl"]').count() == 1
    assert page.locator('g.gbox[data-group="etl.plain"]').count() == 1
    page.get_by_role("button", name="Collapse groups").click()
    page.wait_for_selector('svg.graph-svg g.gnode.group[data-task="etl"]')
    assert page.locator('svg.graph-svg g.gnode[data-task="load"]').count() == 0


def test_a_run_bar_opens_the_run_and_its_actions_open_dialogs(page: Any, servers: Servers) -> None:
    open_grid(page, servers, "small")
    page.locator(".g-bar-col").nth(3).click()
    panel = page.locator(".run-panel")
    run_id = servers.fake.objects[(NS, "dagruns")][servers.runs("small")[3]]["status"]["runId"]
    assert run_id in panel.locator(".p-title").inner_text()
    panel.get_by_role("button", name="Mark failed").click()
    page.get_by_role("dialog").wait_for()


def test_only_the_rows_in_view_of_a_5000_task_dag_are_in_the_page(
    page: Any, servers: Servers
) -> None:
    open_grid(page, servers, "huge")
    assert page.locator(".g-wrap").get_attribute("data-rows") == str(5000 + 50 + 1 + 1)
    assert page.locator(".g-row").count() < 100
    page.locator(".g-wrap").evaluate("wrap => { wrap.scrollTop = wrap.scrollHeight; }")
    page.wait_for_selector('.g-row[data-key="stage_49.task_04999"]')
    assert page.locator(".g-row").count() < 100


def test_a_task_only_older_runs_have_is_the_last_row(page: Any, servers: Servers) -> None:
    open_grid(page, servers, "small")
    page.locator(".g-wrap").evaluate("wrap => { wrap.scrollTop = wrap.scrollHeight; }")
    page.wait_for_selector(f'.g-row[data-key="{RETIRED}"]')
    keys = page.locator(".g-row").evaluate_all("rows => rows.map(r => r.dataset.key)")
    assert keys[-1] == RETIRED
    assert page.locator(f'.g-row[data-key="{RETIRED}"] .g-name.removed').count() == 1
    assert "st-success" in cell(page, RETIRED, 0).get_attribute("class")
    assert "empty" in cell(page, RETIRED, SMALL_RUNS - 1).get_attribute("class")


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_on_a_phone_the_panel_is_below_the_grid(page: Any, servers: Servers) -> None:
    open_grid(page, servers, "small")
    cell(page, "stage_00.task_00002", 1).click()
    # Measured once the panel shows its task (while it loads, its height changes).
    expect(page.locator(".ti-panel .p-key")).to_have_text("stage_00.task_00002")
    expect(page.locator(".ti-panel").get_by_text("Rendered command")).to_be_visible()
    # Both boxes in one call, in page coordinates: the panel scrolls into view smoothly,
    # so two viewport readings taken apart can come from different scroll positions.
    grid, panel = page.evaluate(
        """() => [".g-wrap", ".ti-panel"].map(sel => {
          const r = document.querySelector(sel).getBoundingClientRect();
          return { y: r.top + window.scrollY, height: r.height, width: r.width };
        })"""
    )
    assert panel["y"] >= grid["y"] + grid["height"] - 1, (panel, grid)
    assert panel["width"] <= PHONE["width"]
