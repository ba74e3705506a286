"""`runs grid DAG`: Airflow's grid view, runs as columns and tasks as rows.

Runs go oldest (left) to newest (right), each headed by its state symbol and its
logical date written vertically (only the parts that tell runs apart: month and
day, hour and minute, or all four). Each cell is a task instance's state symbol; a
mapped task's cell is its instances' worst state and their count. A task missing
from a run's DAG snapshot leaves that cell blank. When the runs do not fit the
width, the newest that fit are shown and the rest counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Group, RenderableType
from rich.text import Text

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRun
from kairflow.cli.views.columns import Fitted
from kairflow.cli.views.fmt import fit
from kairflow.cli.views.model import RunView, flow_of, moment, read_run
from kairflow.cli.views.states import NO_STATUS, legend, run_look, ti_look, worst_state

__all__ = ["runs_grid"]

_NAME_CAP = 28
_NAME_MIN = 12
_DATE_ROWS = {  # strftime format → the label of each of its digit rows
    "%m%d": ("month", "", "day", ""),
    "%H%M": ("hour", "", "minute", ""),
    "%m%d%H%M": ("month", "", "day", "", "hour", "", "minute", ""),
}


@dataclass(frozen=True)
class _Cell:
    state: str
    count: int | None  # instances of a mapped task


@dataclass(frozen=True)
class _Column:
    run: DagRun
    logical: datetime | None
    cells: dict[str, _Cell]


def _cells(view: RunView, in_run: set[str]) -> dict[str, _Cell]:
    cells: dict[str, _Cell] = {}
    for task in in_run:
        instances = view.instances.get(task, ())
        states = [str(i.status.state) for i in instances]
        if view.is_mapped(task):
            cells[task] = _Cell(worst_state(states), sum(i.count for i in instances))
        else:
            cells[task] = _Cell(states[0] if states else NO_STATUS, None)
    return cells


def _logical(run: DagRun) -> datetime | None:
    if run.status.logical_date:
        return moment(run.status.logical_date)
    return run.spec.logical_date


def _sort_key(column: _Column) -> tuple[str, str]:
    when = column.logical.isoformat() if column.logical else ""
    return when, column.run.metadata.name


def runs_grid(spec: DAGSpec | None, runs: list[DagRun]) -> RenderableType:
    """The grid of `runs` (any order) of the DAG whose current spec is `spec` (None
    when unknown): rows follow `spec`'s order, then tasks only older snapshots had."""
    order = list(flow_of(spec).order)
    known = set(order)
    mapped = {t.name for t in spec.tasks if t.expand is not None} if spec else set()
    pairs: list[tuple[RunView, _Column]] = []
    for view in map(read_run, runs):
        column = _Column(view.run, _logical(view.run), _cells(view, set(view.flow.order)))
        pairs.append((view, column))
        mapped.update(task for task in view.flow.order if view.is_mapped(task))
    pairs.sort(key=lambda pair: _sort_key(pair[1]))
    for view, _ in reversed(pairs):  # newest snapshot first: its order is the likeliest
        for task in view.flow.order:
            if task not in known:
                known.add(task)
                order.append(task)
    columns = [column for _, column in pairs]
    grid = _Grid(tuple(order), frozenset(mapped), tuple(columns))
    return Group(Fitted(grid.lines), Text(), legend())


@dataclass(frozen=True)
class _Grid:
    tasks: tuple[str, ...]
    mapped: frozenset[str]
    columns: tuple[_Column, ...]

    def label(self, task: str) -> str:
        return f"{task} [ ]" if task in self.mapped else task

    def lines(self, width: int) -> list[Text]:
        if not self.columns:
            return [Text("no runs yet", style="dim")]
        counts = [c.count for col in self.columns for c in col.cells.values() if c.count]
        cell = 1 + (len(str(max(counts))) if counts else 0)
        natural = max((len(self.label(t)) for t in self.tasks), default=0)
        natural = max(natural, len("minute"))
        name = min(natural, max(_NAME_MIN, min(_NAME_CAP, width // 3)))
        fits = max((width - name) // (cell + 1), 1)
        shown = self.columns[-fits:]
        hidden = len(self.columns) - len(shown)
        out = self._title(shown, hidden, width)
        out.append(self._state_row(shown, name, cell))
        out.extend(self._date_rows(shown, name, cell))
        for task in self.tasks:
            line = Text(fit(self.label(task), name))
            for column in shown:
                line.append(" ")
                line.append_text(_cell_text(column.cells.get(task), cell))
            line.rstrip()
            out.append(line)
        return out

    @staticmethod
    def _title(shown: Sequence[_Column], hidden: int, width: int) -> list[Text]:
        first, last = shown[0].logical, shown[-1].logical
        span = f"  {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC" if first and last else ""
        lines = [Text(f"{len(shown)} runs, oldest → newest{span}", style="bold")]
        if hidden:
            lines.append(Text(f"{hidden} older runs not shown (too narrow)", style="yellow"))
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return lines

    @staticmethod
    def _state_row(shown: Sequence[_Column], name: int, cell: int) -> Text:
        line = Text(fit("run", name), style="dim")
        for column in shown:
            look = run_look(column.run.status.state)
            line.append(" ")
            line.append(fit(look.symbol, cell), style=look.style)
        line.rstrip()
        return line

    @staticmethod
    def _date_rows(shown: Sequence[_Column], name: int, cell: int) -> list[Text]:
        moments = [c.logical for c in shown]
        days = {m.date() for m in moments if m}
        if len(days) == len(moments):
            form = "%m%d"
        elif len(days) <= 1:
            form = "%H%M"
        else:
            form = "%m%d%H%M"
        labels = _DATE_ROWS[form]
        texts = [m.strftime(form) if m else "?" * len(labels) for m in moments]
        rows = []
        for i, label in enumerate(labels):
            line = Text(fit(label, name), style="dim")
            for text in texts:
                line.append(" " + fit(text[i], cell), style="dim")
            line.rstrip()
            rows.append(line)
        return rows


def _cell_text(cell: _Cell | None, width: int) -> Text:
    if cell is None:
        return Text(" " * width)
    look = ti_look(cell.state)
    count = str(cell.count) if cell.count else ""  # 0: not expanded yet
    return Text(fit(look.symbol + count, width), style=look.style)
