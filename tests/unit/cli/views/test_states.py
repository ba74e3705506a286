"""One look per state: a one-cell symbol each, colors in one table, Airflow's summary."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.cli.views.states import legend, run_look, state_text, ti_look, ti_style, worst_state
from tests.unit.cli.views.builders import render


def test_every_task_instance_state_has_its_own_one_cell_symbol() -> None:
    symbols = [ti_look(state).symbol for state in TaskInstanceState]
    assert all(cell_len(s) == 1 for s in symbols)
    assert len(set(symbols)) == len(symbols)
    assert ti_look("awaiting").symbol not in symbols


@pytest.mark.parametrize(
    ("state", "symbol", "style"),
    [
        pytest.param("success", "✓", "green", id="a success is a green check"),
        pytest.param("failed", "✗", "red", id="a failure is a red cross"),
        pytest.param("upstream_failed", "↑", "red", id="upstream failed points up"),
        pytest.param("skipped", "»", "magenta", id="skipped is magenta"),
        pytest.param("up_for_retry", "↻", "yellow", id="up for retry is yellow"),
        pytest.param(None, "·", "dim", id="no status is a dim dot"),
        pytest.param(
            "awaiting", "?", "bold", id="a state this CLI does not know is a question mark"
        ),
    ],
)
def test_task_instance_state_looks(state: str | None, symbol: str, style: str) -> None:
    assert (ti_look(state).symbol, ti_style(state)) == (symbol, style)


@pytest.mark.parametrize(
    ("state", "text"),
    [
        pytest.param(DagRunState.SUCCESS, "✓ success", id="a successful run"),
        pytest.param(DagRunState.RUNNING, "► running", id="a running run"),
        pytest.param(None, "· pending", id="a run the operator has not started"),
        pytest.param("paused", "? paused", id="a run state from a newer operator"),
    ],
)
def test_run_state_text(state: str | None, text: str) -> None:
    assert state_text(state, run=True).plain == text
    assert run_look(state).symbol == text[0]


@pytest.mark.parametrize(
    ("states", "worst"),
    [
        pytest.param(["success", "failed", "running"], "failed", id="one failure marks the task"),
        pytest.param(["success", "running"], "running", id="work in flight beats success"),
        pytest.param(["success", "skipped"], "success", id="success beats skipped"),
        pytest.param(["success", "awaiting"], "awaiting", id="an unknown state shows over success"),
        pytest.param([], "none", id="a task not expanded yet has no status"),
    ],
)
def test_a_mapped_task_shows_its_worst_state(states: list[str], worst: str) -> None:
    assert worst_state(states) == worst


def test_the_legend_names_every_state_within_80_columns() -> None:
    text = render(legend())
    for state in TaskInstanceState:
        assert f"{ti_look(state).symbol} {state.value}" in text
    assert max(len(line) for line in text.splitlines()) <= 80
