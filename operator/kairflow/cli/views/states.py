"""How a state looks in a terminal: the one table of colors and symbols.

Every view colors task instances and runs through here, so a state reads the same
in `runs get`, the grid, the graph, the gantt chart, the DOT output and `dags test`.
States arrive as strings (a `StrEnum` is one): a state this CLI does not know, from
a newer operator, gets the unknown look instead of an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.columns import Columns
from rich.console import RenderableType
from rich.text import Text

from kairflow.api.common import DagRunState, TaskInstanceState

__all__ = [
    "NO_STATUS",
    "StateLook",
    "legend",
    "run_look",
    "state_text",
    "ti_look",
    "ti_style",
    "worst_state",
]

NO_STATUS = TaskInstanceState.NONE.value


@dataclass(frozen=True)
class StateLook:
    """A state's terminal style (rich), one-cell symbol and Graphviz fill color."""

    symbol: str
    style: str
    dot_color: str


_UNKNOWN = StateLook("?", "bold", "white")

# Rich styles as `kairflow dags test` has always shown them; Graphviz colors are
# Airflow's STATE_COLORS, so a `dot -Tsvg` picture reads like Airflow's graph view.
_TI_LOOKS: dict[str, StateLook] = {
    TaskInstanceState.SUCCESS: StateLook("✓", "green", "green"),
    TaskInstanceState.FAILED: StateLook("✗", "red", "red"),
    TaskInstanceState.UPSTREAM_FAILED: StateLook("↑", "red", "orange"),
    TaskInstanceState.SKIPPED: StateLook("»", "magenta", "hotpink"),
    TaskInstanceState.RUNNING: StateLook("►", "cyan", "lime"),
    TaskInstanceState.QUEUED: StateLook("○", "blue", "gray"),
    TaskInstanceState.SCHEDULED: StateLook("◦", "blue", "tan"),
    TaskInstanceState.UP_FOR_RETRY: StateLook("↻", "yellow", "gold"),
    TaskInstanceState.UP_FOR_RESCHEDULE: StateLook("⟳", "yellow", "turquoise"),
    TaskInstanceState.DEFERRED: StateLook("◷", "medium_purple", "mediumpurple"),
    TaskInstanceState.RESTARTING: StateLook("↺", "violet", "violet"),
    TaskInstanceState.REMOVED: StateLook("-", "bright_black", "lightgrey"),
    TaskInstanceState.NONE: StateLook("·", "dim", "white"),
}

_RUN_LOOKS: dict[str, StateLook] = {
    DagRunState.SUCCESS: _TI_LOOKS[TaskInstanceState.SUCCESS],
    DagRunState.FAILED: _TI_LOOKS[TaskInstanceState.FAILED],
    DagRunState.RUNNING: _TI_LOOKS[TaskInstanceState.RUNNING],
    DagRunState.QUEUED: _TI_LOOKS[TaskInstanceState.QUEUED],
}
_PENDING = _TI_LOOKS[TaskInstanceState.NONE]  # a run the operator has not started yet

# Airflow's grid summary of a mapped task: the first state here that any instance
# is in stands for all of them (failures first, then work in flight, then finished).
_PRIORITY: tuple[str, ...] = (
    TaskInstanceState.FAILED,
    TaskInstanceState.UPSTREAM_FAILED,
    TaskInstanceState.UP_FOR_RETRY,
    TaskInstanceState.UP_FOR_RESCHEDULE,
    TaskInstanceState.DEFERRED,
    TaskInstanceState.QUEUED,
    TaskInstanceState.SCHEDULED,
    TaskInstanceState.RUNNING,
    TaskInstanceState.RESTARTING,
    TaskInstanceState.NONE,
    TaskInstanceState.SUCCESS,
    TaskInstanceState.SKIPPED,
    TaskInstanceState.REMOVED,
)
_RANK = {state: rank for rank, state in enumerate(_PRIORITY)}
# An unknown state is something a newer operator reports: show it over "no status".
_UNKNOWN_RANK = _RANK[TaskInstanceState.NONE] - 0.5


def ti_look(state: str | None) -> StateLook:
    """The look of a task instance state; None is "no status"."""
    return _TI_LOOKS.get(state or NO_STATUS, _UNKNOWN)


def ti_style(state: str | None) -> str:
    """The rich style of a task instance state ("" for none)."""
    return ti_look(state).style


def run_look(state: str | None) -> StateLook:
    """The look of a DAG run state; None is a run not started yet."""
    return _PENDING if state is None else _RUN_LOOKS.get(state, _UNKNOWN)


def state_text(state: str | None, *, run: bool = False, symbol_only: bool = False) -> Text:
    """`✓ success`, colored (or just `✓`); a missing state reads "none" or "pending"."""
    look = run_look(state) if run else ti_look(state)
    name = str(state) if state else ("pending" if run else NO_STATUS)
    return Text(look.symbol if symbol_only else f"{look.symbol} {name}", style=look.style)


def worst_state(states: Iterable[str]) -> str:
    """The state that summarises several instances (a mapped task), Airflow's way."""
    worst: str | None = None
    worst_rank = float("inf")
    for state in states:
        rank = _RANK.get(state, _UNKNOWN_RANK)
        if rank < worst_rank:
            worst, worst_rank = state, rank
    return worst if worst is not None else NO_STATUS


def legend() -> RenderableType:
    """Every task instance state with its symbol, packed into the terminal's width."""
    return Columns([state_text(state) for state in _TI_LOOKS], padding=(0, 2))
