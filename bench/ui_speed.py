"""Speed of the web UI in headless Chromium, against a fake Kubernetes API
(bench/fake_kube_api.py) serving synthetic DAGs and runs through `kairflow ui --auth
token`, each in its own process as in a deployment:

- the grid of 1,000 tasks x 25 runs and of 5,000 x 25: time to interactive (from
  navigation start to the grid painted and a click on a cell answered by its task
  instance panel), and a scroll to the middle of the DAG answered by its rows;
- the DAG list with 500 DAGs (5 runs each): time to the list painted, and a search
  answered;
- a state change: from the fake API writing the watch event to the open grid's cell
  changing colour.

    .venv/bin/python bench/ui_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from bench.common import report, summarize  # noqa: E402
from bench.synthetic import task_names  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PYTHON = sys.executable
GRIDS = {"g1000": 1000, "g5000": 5000}
RUNS = 25
DAGS = 500
LAPTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 120_000

# Evaluated on every animation frame until true: the grid has its rows and cells.
GRID_PAINTED = """() => {
  const wrap = document.querySelector('.g-wrap[data-ready]');
  if (!wrap || !wrap.querySelector('.g-row .cell:not(.empty)')) return false;
  return performance.now();
}"""

# Click the newest run's cell of the first task, resolve when its panel shows it.
CLICK_CELL = """(key) => new Promise((resolve) => {
  const row = document.querySelector(`.g-row[data-key="${key}"]`);
  const cells = row.querySelectorAll('.cell');
  const began = performance.now();
  cells[cells.length - 1].click();
  const check = () => {
    const shown = document.querySelector('.ti-panel .p-key');
    if (shown && shown.textContent === key) resolve({ began, answered: performance.now() });
    else requestAnimationFrame(check);
  };
  check();
})"""

SCROLL_MIDDLE = """() => new Promise((resolve) => {
  const wrap = document.querySelector('.g-wrap');
  const middle = Math.floor(Number(wrap.dataset.rows) / 2);
  const began = performance.now();
  wrap.scrollTop = middle * 22;
  const check = () => {
    const row = document.querySelector(`.g-row[data-row="${middle}"] .cell`);
    if (row) resolve(performance.now() - began); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""

LIST_PAINTED = f"""() => document.querySelectorAll('table.dags tbody tr').length === {DAGS}
  && document.querySelector('table.dags .dot') ? performance.now() : false"""

SEARCH = """(text) => new Promise((resolve) => {
  const box = document.querySelector('input[type=search]');
  const began = performance.now();
  box.value = text;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  const check = () => {
    const rows = document.querySelectorAll('table.dags tbody tr').length;
    if (rows === 100) resolve(performance.now() - began); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""

# Record when the cell's class next changes (wall clock, to compare with the fake API's).
WATCH_CELL = """([key, col]) => {
  const cell = document.querySelector(`.g-row[data-key="${key}"] .cell[data-col="${col}"]`);
  window.__changed = null;
  new MutationObserver((_, observer) => {
    window.__changed = performance.timeOrigin + performance.now();
    observer.disconnect();
  }).observe(cell, { attributes: true, attributeFilter: ['class'] });
}"""


@contextmanager
def process(args: list[str], first_line_has: str):
    """A child process; yields the URL it prints first."""
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if first_line_has in line:
                yield line.split()[-1].rstrip("/")
                break
        else:
            raise RuntimeError(f"{args[0]} exited before printing its URL")
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:  # open streams hold a server's shutdown
            child.kill()
            child.wait()


@contextmanager
def painted_page(
    browser: Browser, ui: str, route: str, painted: str
) -> Iterator[tuple[Page, float]]:
    """A signed-in tab opened at `route`; yields it once the `painted` check holds, with
    the time that check returned (ms from navigation start)."""
    context = browser.new_context(viewport=LAPTOP)
    try:
        signed_in = context.request.post(f"{ui}/login", form={"token": "bench-token"})
        if not signed_in.ok:
            raise SystemExit(f"cannot sign in to the UI: {signed_in.status} {signed_in.text()}")
        page = context.new_page()
        page.goto(f"{ui}/#/{route}", wait_until="commit")
        at = page.wait_for_function(painted, polling="raf", timeout=TIMEOUT_MS).json_value()
        yield page, at
    finally:
        context.close()


def grid_sample(browser: Browser, ui: str, ns: str) -> dict[str, float]:
    with painted_page(browser, ui, f"ns/{ns}/dags/big/grid", GRID_PAINTED) as (page, painted):
        click = page.evaluate(CLICK_CELL, task_names(1)[0])
        scroll = page.evaluate(SCROLL_MIDDLE)
        return {
            "interactive": click["answered"],
            "painted": painted,
            "cell click": click["answered"] - click["began"],
            "scroll to middle": scroll,
        }


def list_sample(browser: Browser, ui: str) -> dict[str, float]:
    with painted_page(browser, ui, "ns/list/dags", LIST_PAINTED) as (page, painted):
        return {"painted": painted, "search": page.evaluate(SEARCH, "dag-04")}


def change_samples(browser: Browser, ui: str, fake: str, repeats: int) -> list[float]:
    """Open the 1,000-task grid once; flip one visible cell of the newest run."""
    with painted_page(browser, ui, "ns/g1000/dags/big/grid", GRID_PAINTED) as (page, _):
        run = page.evaluate("() => document.querySelector('.g-bar-col:last-child').dataset.run")
        col = page.evaluate("() => document.querySelectorAll('.g-bar-col').length - 1")
        key = task_names(3)[2]
        samples = []
        for i in range(repeats):
            page.evaluate(WATCH_CELL, [key, col])
            state = ["failed", "success", "running", "up_for_retry"][i % 4]
            request = urllib.request.Request(
                f"{fake}/fake/ns/g1000/dagruns/{run}/states",
                data=json.dumps({"states": {key: state}}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as answer:
                sent = json.load(answer)["sentAt"]
            changed = page.wait_for_function(
                "() => window.__changed", timeout=TIMEOUT_MS
            ).json_value()
            samples.append(changed - sent)
        return samples


def row(samples: list[float]) -> dict[str, Any]:
    found = summarize(samples)
    return {"n": found["n"], "min": found["min"], "median": found["p50"], "max": found["max"]}


def add_rows(
    rows: dict[str, dict[str, Any]], name: str, sample: Callable[[], dict[str, float]], repeats: int
) -> None:
    """`repeats` samples; a row `name: figure` for each figure a sample has."""
    found = [sample() for _ in range(repeats)]
    for figure in found[0]:
        rows[f"{name}: {figure}"] = row([s[figure] for s in found])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    fake_args = [PYTHON, str(ROOT / "bench" / "fake_kube_api.py"), "--dags", f"list={DAGS}"]
    for ns, tasks in GRIDS.items():
        fake_args += ["--grid", f"{ns}=big:{tasks}x{RUNS}"]
    kairflow = str(Path(PYTHON).parent / "kairflow")
    rows: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        fake = stack.enter_context(process(fake_args, "http://"))
        ui_args = [kairflow, "ui", "--auth", "token", "--api-server", fake, "--port", "0"]
        ui = stack.enter_context(process(ui_args, "Kairflow UI:"))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        stack.callback(browser.close)
        grid_sample(browser, ui, "g1000")  # warm the server's clients once
        for ns, tasks in GRIDS.items():
            grid = partial(grid_sample, browser, ui, ns)
            add_rows(rows, f"grid {tasks:,} tasks x {RUNS} runs", grid, args.repeats)
        add_rows(rows, f"DAG list, {DAGS} DAGs", partial(list_sample, browser, ui), args.repeats)
        changes = change_samples(browser, ui, fake, max(10, args.repeats))
        rows["state change: watch event to cell"] = row(changes)
    report("ui_speed", rows, unit="ms, headless Chromium, laptop viewport")


if __name__ == "__main__":
    main()
