"""`runs gantt RUN`: when each task instance waited and ran, on one time axis.

One row per task instance that started, ordered by start. `░` is the time between
being queued and starting, `█` the time running (to its end, or to `now` while it
runs), colored by state. The axis spans from the first queued time to the last end
and is labelled with its start, length and end (UTC). `now` is given, never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.console import Group, RenderableType
from rich.text import Text

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import DagRun
from kairflow.cli.views.fmt import clock, fit, short_duration
from kairflow.cli.views.model import moment, read_run, run_header, split_key
from kairflow.cli.views.states import ti_look

__all__ = ["run_gantt"]

_QUEUED, _RAN = "░", "█"
_LABEL_MIN, _LABEL_MAX = 12, 28
_BAR_MIN = 10
# Not finished: its bar runs on to `now` (a sensor waiting to poke again is not).
_IN_FLIGHT = frozenset({TaskInstanceState.RUNNING, TaskInstanceState.RESTARTING})


@dataclass(frozen=True)
class _Bar:
    key: str
    state: str
    queued: datetime
    start: datetime
    end: datetime
    still_running: bool


def _bars(run: DagRun, now: datetime | None) -> list[_Bar]:
    started = []
    for key, ti in run.status.task_instances.items():
        start = moment(ti.start_date)
        if start is not None:
            started.append((key, ti, start))
    latest = max(
        (m for _, ti, s in started for m in (s, moment(ti.end_date)) if m is not None),
        default=None,
    )
    bars = []
    for key, ti, start in started:
        end = moment(ti.end_date)
        running = end is None and ti.state in _IN_FLIGHT
        if end is None:
            end = (now if running and now is not None else latest) or start
        queued = moment(ti.queued_at) or start
        bars.append(_Bar(key, str(ti.state), min(queued, start), start, max(end, start), running))
    # Task pods start within the same second often: ties keep the DAG's order.
    position = read_run(run).flow.position
    bars.sort(key=lambda b: (b.start, position.get(split_key(b.key)[0], len(position)), b.key))
    return bars


def _label(key: str, width: int) -> str:
    """The key cut to `width`, keeping a mapped instance's `[i]` visible."""
    task, index = split_key(key)
    if index is None or len(key) <= width:
        return fit(key, width)
    suffix = f"[{index}]"
    return fit(fit(task, max(width - len(suffix), 1)) + suffix, width)


def run_gantt(run: DagRun, width: int, *, now: datetime | None = None) -> RenderableType:
    """The run's task instances as bars on a common time axis `width` columns wide.
    Running instances end at `now` (or, without it, at the latest time the status
    knows)."""
    header = run_header(run)
    header.truncate(width, overflow="ellipsis")
    bars = _bars(run, now)
    if not bars:
        return Group(header, Text("no task instance has started yet", style="dim"))
    first = min(b.queued for b in bars)
    last = max(b.end for b in bars)
    durations = [short_duration(b.end - b.start) + ("+" if b.still_running else "") for b in bars]
    duration_width = max(len(d) for d in durations)
    label_width = min(max(len(b.key) for b in bars), max(_LABEL_MIN, min(_LABEL_MAX, width // 4)))
    bar_width = max(width - label_width - duration_width - 2, _BAR_MIN)
    span = (last - first).total_seconds() or 1.0

    def column(at: datetime) -> int:
        return round((at - first).total_seconds() / span * bar_width)

    lines: list[RenderableType] = [header]
    for bar, duration in zip(bars, durations, strict=True):
        queued, start, end = column(bar.queued), column(bar.start), column(bar.end)
        ran = max(end - start, 1)
        start = min(start, bar_width - ran)
        queued = min(queued, start)
        style = ti_look(bar.state).style
        line = Text(_label(bar.key, label_width) + " " + " " * queued)
        line.append(_QUEUED * (start - queued), style=f"{style} dim" if style else "dim")
        line.append(_RAN * ran, style=style)
        line.append(" " * (bar_width - start - ran) + " " + duration.rjust(duration_width))
        lines.append(line)
    lines.extend(_axis(first, last, label_width, bar_width))
    lines.append(Text(f"{_QUEUED} queued  {_RAN} running, colored by state  (UTC)", style="dim"))
    return Group(*lines)


def _axis(first: datetime, last: datetime, indent: int, width: int) -> list[Text]:
    """`├──────┤` under the bars, then start time, length and end time."""
    rule = Text(" " * (indent + 1) + "├" + "─" * max(width - 2, 0) + "┤", style="dim")
    with_date = first.date() != last.date()
    left, right = clock(first, with_date=with_date), clock(last, with_date=with_date)
    middle = short_duration(last - first)
    room = width - len(left) - len(right)
    if room >= len(middle) + 2:
        gap = room - len(middle)
        labels = left + " " * (gap // 2) + middle + " " * (gap - gap // 2) + right
    else:
        labels = fit(f"{left} +{middle}", width)
    return [rule, Text(" " * (indent + 1) + labels, style="dim")]
