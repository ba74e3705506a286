"""Every run view copes with runs that have little in them, within 80 columns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from rich.console import RenderableType

from kairflow.api.dagrun import DagRun
from kairflow.cli.views.gantt import run_gantt
from kairflow.cli.views.graph import run_graph
from kairflow.cli.views.grid import runs_grid
from kairflow.cli.views.tree import run_tree
from tests.unit.cli.views.builders import render, render_styled, run, spec, ti

LONG = "x" * 30 + "_a_task_name_long_enough_to_wrap_at_eighty"

VIEWS: dict[str, Callable[[DagRun], RenderableType]] = {
    "tree": run_tree,
    "grid": lambda r: runs_grid(None, [r]),
    "graph": run_graph,
    "gantt": lambda r: run_gantt(r, 80, now=datetime(2024, 3, 1, 9, tzinfo=UTC)),
}

RUNS = {
    "a pending run": run(pending=True),
    "a run without a DAG snapshot": run({"a": ti("success", "08:00:00", "08:01:00")}),
    "a run with an unknown state": run(
        {"a": ti("awaiting", "08:00:00")}, snapshot=spec("a"), state="paused"
    ),
    "a run whose tasks have no times": run({"a": ti("none", try_number=0)}, snapshot=spec("a")),
    "a run with very long task names": run(
        {LONG: ti("failed", "08:00:00", "08:00:09", message="boom " * 40)},
        snapshot=spec(LONG),
    ),
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("case", RUNS)
def test_every_view_renders_within_80_columns(view: str, case: str) -> None:
    renderable = VIEWS[view](RUNS[case])
    text = render(renderable)
    assert text.strip()
    assert all(len(line) <= 80 for line in text.splitlines()), text
    if LONG in RUNS[case].status.task_instances:
        assert LONG not in text and "…" in text
    assert "\x1b[" in render_styled(renderable)  # colored when the terminal has colors
