"""A Backfill's plan in a size that does not grow with its dates.

A backfill of 20,000 hourly dates must fit in one Kubernetes object (etcd refuses
objects over 1.5 MiB; a list of its dates would be 2.6 MB). So the status does not
list them: they are the schedule's dates in the range, which the timetable gives
again at any time from the copy of the schedule taken when the Backfill started
(later edits of the DAG do not move the plan). Written down are only the dates that
do not get a run created (an existing run cleared, or left alone), as stretches of
consecutive dates with the same action: existing runs come in stretches (the
scheduler's history, an earlier backfill), so there are few. Their number is capped
(MAX_EXCEPTIONS): a plan that needs more is refused, saying why, before anything runs.

Where the Backfill is, is a cursor: the next logical date to start. The dates from it
on are listed lazily, in either order, a few per sync.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from kairflow.api import DagRunState, DAGSpec, Reprocess, TimetableKind
from kairflow.api.backfill import BackfillPlan
from kairflow.core.backfill import (
    BackfillAction,
    BackfillError,
    BackfillItem,
    backfill_range,
    dates_in,
    iter_runs,
)
from kairflow.core.run_info import DagRunInfo, Timetable
from kairflow.core.times import instant, iso
from kairflow.core.timetable import timetable_from
from kairflow.core.timetables import DeltaDataIntervalTimetable, OnceTimetable

MAX_EXCEPTIONS = 500
"""Stretches of dates not created that a plan may have: about 27 KiB of status."""

_FIRST_WINDOW = timedelta(hours=1)
_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class Stretch:
    """Consecutive dates of the plan (oldest `first`, newest `last`) that get no new run."""

    first: datetime
    last: datetime
    action: BackfillAction | None
    """CLEAR: their runs are run again; None: their runs are kept."""

    def words(self) -> str:
        """`FIRST/LAST` (an ISO-8601 interval), or `DATE` for one date."""
        if self.first == self.last:
            return iso(self.first)
        return f"{iso(self.first)}/{iso(self.last)}"

    @classmethod
    def read(cls, text: str, action: BackfillAction | None) -> Stretch:
        first, _, last = text.partition("/")
        return cls(instant(first), instant(last or first), action)


@dataclass(frozen=True)
class Schedule:
    """The DAG's schedule fields, copied when the Backfill started."""

    schedule: str
    timezone: str = "UTC"
    kind: TimetableKind = TimetableKind.DATA_INTERVAL
    trigger_interval: timedelta | None = None


@dataclass(frozen=True)
class DatePlan:
    """A Backfill's dates: the schedule's in [start, end] (UTC, both included), in its
    order; a run is created for each, except in the `exceptions`."""

    schedule: Schedule
    start: datetime
    end: datetime
    backwards: bool = False
    exceptions: tuple[Stretch, ...] = field(default=())
    """Oldest first, not overlapping."""

    @cached_property
    def timetable(self) -> Timetable:
        s = self.schedule
        return timetable_from(s.schedule, s.timezone, s.kind, s.trigger_interval)

    @cached_property
    def _firsts(self) -> list[datetime]:
        return [stretch.first for stretch in self.exceptions]

    def stretch_at(self, date: datetime) -> Stretch | None:
        index = bisect_right(self._firsts, date) - 1
        if index >= 0 and date <= self.exceptions[index].last:
            return self.exceptions[index]
        return None

    def action(self, date: datetime) -> BackfillAction | None:
        """What the Backfill does at this date of the plan (None: nothing)."""
        stretch = self.stretch_at(date)
        return BackfillAction.CREATE if stretch is None else stretch.action

    def dates(self, cursor: datetime | None = None) -> Iterator[DagRunInfo]:
        """The plan's dates in its order, from `cursor` (one of them, included) or from
        its first; lazily, so the next few cost a few steps of the schedule."""
        if not self.backwards:
            yield from iter_runs(self.timetable, cursor or self.start, self.end)
            return
        # Newest first: windows of the range, growing, each listed oldest first.
        high, width = cursor or self.end, _FIRST_WINDOW
        while True:
            low = self._on_grid(max(self.start, high - width))
            yield from reversed(list(iter_runs(self.timetable, low, high)))
            if low <= self.start:
                return
            high, width = low - _BEFORE, width * 2

    def _on_grid(self, moment: datetime) -> datetime:
        """A moment at or after `moment` from which the schedule gives the plan's own
        dates: any moment for a cron schedule (its ticks do not depend on where one
        starts), the next step from `start` for a duration, `start` for @once."""
        timetable = self.timetable
        if isinstance(timetable, DeltaDataIntervalTimetable):
            steps = -((self.start - moment) // timetable.delta)  # rounded up
            return self.start + steps * timetable.delta
        if isinstance(timetable, OnceTimetable):
            return self.start
        return moment

    def items(self, cursor: datetime | None = None) -> Iterator[BackfillItem]:
        """The runs to create or clear, in order, from `cursor` (a date of the plan,
        included); the stretches of dates left alone are jumped over, not walked."""
        position: datetime | None = cursor
        while True:
            for info in self.dates(position):
                stretch = self.stretch_at(info.logical_date)
                if stretch is None:
                    yield BackfillItem(info.logical_date, info.data_interval, BackfillAction.CREATE)
                    continue
                if stretch.action is not None:
                    yield BackfillItem(info.logical_date, info.data_interval, stretch.action)
                    continue
                position = self._after(stretch)
                if position is None:
                    return
                break
            else:
                return

    def _after(self, stretch: Stretch) -> datetime | None:
        """The plan's date that comes after the stretch, in the plan's order."""
        edge = stretch.first if self.backwards else stretch.last
        following = self.dates(edge)
        next(following, None)  # the edge itself
        info = next(following, None)
        return None if info is None else info.logical_date


def stretches(dated: Iterable[tuple[DagRunInfo, BackfillAction | None]]) -> list[Stretch]:
    """The dates of a plan that get no new run, as stretches, oldest first: consecutive
    dates (of the plan) with the same action are one stretch."""
    out: list[Stretch] = []
    open_: Stretch | None = None
    for info, action in sorted(dated, key=lambda pair: pair[0].logical_date):
        if action is BackfillAction.CREATE:
            open_ = None
            continue
        date = info.logical_date
        if open_ is not None and open_.action is action:
            out[-1] = open_ = Stretch(open_.first, date, action)
        else:
            open_ = Stretch(date, date, action)
            out.append(open_)
    return out


class PlanTooLarge(BackfillError):
    """A plan with more stretches of dates to clear or keep than a status may hold."""


def check_exceptions(found: list[Stretch], limit: int | None = None) -> None:
    """PlanTooLarge when the plan has more stretches than its status may keep
    (`limit`, default MAX_EXCEPTIONS)."""
    limit = MAX_EXCEPTIONS if limit is None else limit
    if len(found) <= limit:
        return
    clears = sum(1 for s in found if s.action is BackfillAction.CLEAR)
    raise PlanTooLarge(
        f"the plan has {len(found)} separate stretches of dates whose runs exist "
        f"({clears} to clear, {len(found) - clears} to keep); a Backfill keeps at most "
        f"{limit}: split the range into several Backfills, or rerun scattered failed "
        "runs with `kairflow tasks clear DAG --from DATE --to DATE --only-failed`"
    )


@dataclass(frozen=True)
class PlanCounts:
    """What a new plan holds: its dates, the runs it makes, and its first date to start."""

    dates: int
    runs: int
    first: datetime | None


def make_plan(
    spec: DAGSpec,
    start: datetime,
    end: datetime,
    existing: Mapping[datetime, DagRunState],
    reprocess: Reprocess = Reprocess.NONE,
    run_backwards: bool = False,
) -> tuple[DatePlan, PlanCounts]:
    """The plan of a new Backfill (`backfill.dates_in` decides each date), in its
    bounded form. BackfillError as `backfill_range`, or when it has more stretches of
    dates to clear or keep than MAX_EXCEPTIONS."""
    span = backfill_range(spec, start, end, run_backwards)
    dated = dates_in(span, existing, reprocess)
    found = stretches(dated)
    check_exceptions(found)
    schedule = Schedule(spec.schedule or "", spec.timezone, spec.timetable, spec.trigger_interval)
    plan = DatePlan(schedule, span.start, span.end, run_backwards, tuple(found))
    to_start = [info.logical_date for info, action in dated if action is not None]
    counts = PlanCounts(len(dated), len(to_start), to_start[0] if to_start else None)
    return plan, counts


def to_status(plan: DatePlan) -> BackfillPlan:
    s = plan.schedule
    return BackfillPlan.model_validate(
        {
            "schedule": s.schedule,
            "timezone": s.timezone,
            "timetable": s.kind,
            "trigger_interval": s.trigger_interval,
            "from": iso(plan.start),
            "to": iso(plan.end),
            "backwards": plan.backwards,
            "clear": [x.words() for x in plan.exceptions if x.action is BackfillAction.CLEAR],
            "skip": [x.words() for x in plan.exceptions if x.action is None],
        }
    )


def from_status(status: BackfillPlan) -> DatePlan:
    clear = [Stretch.read(text, BackfillAction.CLEAR) for text in status.clear]
    keep = [Stretch.read(text, None) for text in status.skip]
    return DatePlan(
        Schedule(status.schedule, status.timezone, status.timetable, status.trigger_interval),
        instant(status.from_date),
        instant(status.to_date),
        status.backwards,
        tuple(sorted(clear + keep, key=lambda x: x.first)),
    )
