"""Jump far along a cron sequence without visiting every tick (bounded cost).

A DAG that runs every minute, with catchup and a start date ten years back, has
five million intervals behind it; "which run is not due yet" must not walk them
(compare Kubernetes CronJob v2's `mostRecentScheduleTime`).

Why a jump is exact: while the zone's UTC offset stays the same, one step of
Airflow's cron arithmetic from a tick lands on the next wall-clock tick read at
that same offset (both for wall-clock and for elapsed-time steps), so the elements
are just those ticks and the last one before a target comes from one
`croniter.get_prev`. Only the steps near an offset change (where DST can move a
tick or land a step off the grid) are taken one by one, until the sequence is back
on the grid. The cost is a few croniter calls per offset change, plus one cheap
offset probe per day of distance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kairflow.core.cron import CronSchedule, offset_at
from kairflow.core.times import localize, to_naive

_PROBE_STEP = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


def next_offset_change(tz: ZoneInfo, after: datetime, until: datetime) -> datetime | None:
    """The first instant in (after, until] whose UTC offset differs from `after`'s.

    Probes once a day, then bisects to the second (tz database transitions fall on
    whole seconds). Two changes within one day that cancel out are not seen; no zone
    has had one that matters for a schedule.
    """
    base = offset_at(after, tz)
    low = after
    while low < until:
        high = min(low + _PROBE_STEP, until)
        if offset_at(high, tz) != base:
            # Invariant: offset(low) == base != offset(high).
            while high - low > _ONE_SECOND:
                middle = low + (high - low) / 2
                if offset_at(middle, tz) == base:
                    low = middle
                else:
                    high = middle
            # (low, high] is at most a second long: its one whole second is the change.
            return high.replace(microsecond=0)
        low = high
    return None


def _regular(cron: CronSchedule, naive: datetime, offset: timedelta) -> bool:
    """Whether the tick `naive` read at `offset` is where the schedule puts it: always
    for elapsed-time steps; for wall-clock ones, unless DST moves it to another offset."""
    instant = (naive - offset).replace(tzinfo=UTC)
    if cron.wall_clock:
        return localize(naive, cron.tz) == instant
    return offset_at(instant, cron.tz) == offset


def _on_grid(cron: CronSchedule, current: datetime) -> bool:
    """`current` is a tick at its own offset, and so is the tick before it: from here on,
    until the offset changes, each step goes to the next tick."""
    naive = to_naive(current, cron.tz)
    if not cron.is_tick(naive):
        return False
    offset = offset_at(current, cron.tz)
    return _regular(cron, naive, offset) and _regular(cron, cron.naive_prev(naive), offset)


def seek(
    cron: CronSchedule,
    step: Callable[[datetime], datetime],
    element: datetime,
    target: datetime,
    stop: Callable[[datetime], bool] | None = None,
) -> datetime:
    """Walk `element, step(element), ...`: the first element for which `stop` holds
    among those computed one by one, else the last element <= `target`.

    `step` must be a timetable's cron step (next tick, or the data-interval step
    `align_to_prev(next)`), `element` <= `target` a member of its sequence. `stop` is
    asked about every element computed explicitly and about the last element of each
    jump; the elements jumped over are plain ticks whose successor is the next tick.
    """
    current = element
    while True:
        # Off the grid (near an offset change): one step at a time until back on it.
        while not _on_grid(cron, current):
            if stop is not None and stop(current):
                return current
            following = step(current)
            if following > target or following <= current:
                return current
            current = following
        offset = offset_at(current, cron.tz)
        change = next_offset_change(cron.tz, current, target)
        horizon = target if change is None else change - _ONE_MICROSECOND
        naive = cron.naive_at_or_before((horizon + offset).replace(tzinfo=None))
        while not _regular(cron, naive, offset) and (naive - offset).replace(tzinfo=UTC) > current:
            naive = cron.naive_prev(naive)  # a tick DST moves past the change
        current = max(current, (naive - offset).replace(tzinfo=UTC))
        if change is None or (stop is not None and stop(current)):
            return current
        following = step(current)  # the step across the offset change
        if following > target or following <= current:
            return current
        current = following
