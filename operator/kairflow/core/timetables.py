"""Airflow 2.10's timetables, answer for answer (`airflow/timetables/*.py`; for DST
see `kairflow.core.cron`), with one change of form: Airflow reads the clock inside
`next_dagrun_info`; here `now` is a parameter, so the core stays pure.

- `dataInterval` (Airflow 2's default): a run covers [start, end), its logical date
  is the start and it runs after the end. Cron and duration schedules.
- `trigger` (CronTriggerTimetable): a run per cron tick, run at the tick, covering
  [tick - triggerInterval, tick]; its logical date is the tick (Airflow 2 uses the
  interval start, which is the same unless triggerInterval is set).
- `@once`, `@continuous`, and no schedule (manual runs only).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kairflow.api import format_duration
from kairflow.core.cron import CronSchedule
from kairflow.core.cron_description import describe_cron
from kairflow.core.cron_seek import seek
from kairflow.core.run_info import DagRunInfo, DataInterval, TimeRestriction
from kairflow.core.times import as_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _TrivialTimetable:
    """No intervals of its own: a manual run covers just the moment it was triggered."""

    active_runs_limit: int | None = None

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        return DataInterval.exact(run_after)


class NullTimetable(_TrivialTimetable):
    """No schedule: manual runs only."""

    description = "never: manual runs only"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> DagRunInfo | None:
        return None


class OnceTimetable(_TrivialTimetable):
    """`@once`: one run at the start date, catchup or not (Airflow's AIRFLOW-1928)."""

    description = "once, at the start date"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None or restriction.earliest is None:
            return None
        if restriction.latest is not None and restriction.earliest > restriction.latest:
            return None
        return DagRunInfo.exact(restriction.earliest)


class ContinuousTimetable(_TrivialTimetable):
    """`@continuous`: a new run as soon as the previous one finishes, one at a time.

    Each run covers [end of the previous one, now]; the first [startDate, now].
    """

    description = "as often as possible, one run at a time"
    active_runs_limit: int | None = 1

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> DagRunInfo | None:
        if restriction.earliest is None:
            return None
        now = as_utc(now, "now")
        if last_automated_data_interval is not None:
            start, end = last_automated_data_interval.end, now
        else:
            start, end = restriction.earliest, max(restriction.earliest, now)
        if restriction.latest is not None and end > restriction.latest:
            return None
        return DagRunInfo.interval(start, end)


class _NoSchedule(Exception):
    """Airflow raises here (an AssertionError in `_skip_to_latest`) and its scheduler
    then schedules nothing until the next parse; we return None the same way."""


class _DataIntervalTimetable:
    """Airflow's `_DataIntervalTimetable`: contiguous intervals, each run after its end."""

    active_runs_limit: int | None = None

    def _get_next(self, current: datetime) -> datetime:
        raise NotImplementedError

    def _align_to_next(self, current: datetime) -> datetime:
        raise NotImplementedError

    def _align_to_prev(self, current: datetime) -> datetime:
        raise NotImplementedError

    def _skip_to_latest(self, earliest: datetime | None, now: datetime) -> datetime:
        raise NotImplementedError

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> DagRunInfo | None:
        earliest = restriction.earliest
        try:
            if not restriction.catchup:
                earliest = self._skip_to_latest(earliest, as_utc(now, "now"))
            elif earliest is not None:
                earliest = self._align_to_next(earliest)
        except _NoSchedule:
            return None
        if last_automated_data_interval is None:
            if earliest is None:
                return None
            start = earliest
        else:
            # Re-aligned, in case the schedule changed since that run.
            start = self._align_to_prev(last_automated_data_interval.end)
            if earliest is not None:
                start = max(start, earliest)
        if restriction.latest is not None and start > restriction.latest:
            return None  # Airflow compares the interval *start* with end_date
        return DagRunInfo.interval(start, self._get_next(start))


class CronDataIntervalTimetable(_DataIntervalTimetable):
    """A cron schedule with data intervals between consecutive ticks."""

    def __init__(self, cron: CronSchedule) -> None:
        self.cron = cron
        self.description = f"{describe_cron(cron.expression)}, {cron.tz.key}"

    def _get_next(self, current: datetime) -> datetime:
        return self.cron.next_after(current)

    def _align_to_next(self, current: datetime) -> datetime:
        return self.cron.align_to_next(current)

    def _align_to_prev(self, current: datetime) -> datetime:
        return self.cron.align_to_prev(current)

    def _skip_to_latest(self, earliest: datetime | None, now: datetime) -> datetime:
        """Start of the latest complete interval before `now` (catchup off); if `now` is
        exactly on a tick, the interval that starts at `now` (Airflow 2.6)."""
        last_start = self.cron.prev_before(now)
        next_start = self.cron.next_after(last_start)
        if next_start == now:
            new_start = last_start
        elif next_start > now:
            new_start = self.cron.prev_before(last_start)
        else:
            raise _NoSchedule
        if earliest is None:
            return new_start
        return max(new_start, self.cron.align_to_next(earliest))

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        # The last complete interval before run_after: a daily DAG triggered at
        # 01:00 on the 25th covers the 24th.
        end = self.cron.align_to_prev(as_utc(run_after, "run_after"))
        return DataInterval(self.cron.prev_before(end), end)

    def _step(self, start: datetime) -> datetime:
        return self.cron.align_to_prev(self.cron.next_after(start))

    def skip_ahead(
        self, first: DagRunInfo, restriction: TimeRestriction, now: datetime
    ) -> DagRunInfo:
        target = now if restriction.latest is None else min(now, restriction.latest)
        if first.logical_date >= target:
            return first
        start = seek(
            self.cron,
            self._step,
            first.logical_date,
            target,
            # Near DST changes an interval can end after the next one starts.
            stop=lambda start: self.cron.next_after(start) > now,
        )
        return DagRunInfo.interval(start, self.cron.next_after(start))


class DeltaDataIntervalTimetable(_DataIntervalTimetable):
    """A duration schedule ("1d", "30m"): back-to-back intervals of exactly that
    length in elapsed time, from the start date (with catchup; not aligned to the
    clock) or, with catchup off, from a multiple of the duration since the Unix epoch."""

    def __init__(self, delta: timedelta) -> None:
        self.delta = delta
        self.description = f"every {format_duration(delta)}"

    def _get_next(self, current: datetime) -> datetime:
        return current + self.delta

    def _align_to_next(self, current: datetime) -> datetime:
        return current

    def _align_to_prev(self, current: datetime) -> datetime:
        return current

    def _round(self, moment: datetime) -> datetime:
        """`moment` rounded down to a multiple of the delta since the Unix epoch (UTC,
        whatever the DAG's zone), as Airflow 2.10 does (in float seconds there)."""
        return moment - (moment - _EPOCH) % self.delta

    def _skip_to_latest(self, earliest: datetime | None, now: datetime) -> datetime:
        """With catchup off, the first interval is the latest complete one on the grid
        of `_round`: "30m" first seen at 05:17 runs [04:30, 05:00], and at 05:00 exactly
        also [04:30, 05:00]. A later start date wins, as is (not rounded)."""
        new_start = self._round(now) - self.delta
        return new_start if earliest is None else max(new_start, earliest)

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        run_after = as_utc(run_after, "run_after")
        return DataInterval(run_after - self.delta, run_after)

    def skip_ahead(
        self, first: DagRunInfo, restriction: TimeRestriction, now: datetime
    ) -> DagRunInfo:
        target = now if restriction.latest is None else min(now, restriction.latest)
        steps = (target - first.logical_date) // self.delta
        if steps <= 0:
            return first
        start = first.logical_date + steps * self.delta
        return DagRunInfo.interval(start, start + self.delta)


class CronTriggerTimetable:
    """`timetable: trigger`, Airflow's CronTriggerTimetable: a run at each cron tick.

    With catchup off, the first run is at the latest tick at or before `now` (it is due
    at once, as in Airflow 2.10), or at the start date's first tick if that is later;
    the ticks before it are skipped.
    """

    active_runs_limit: int | None = None

    def __init__(self, cron: CronSchedule, interval: timedelta = timedelta(0)) -> None:
        self.cron = cron
        self.interval = interval
        self.description = f"{describe_cron(cron.expression)}, {cron.tz.key}"

    def _info(self, tick: datetime) -> DagRunInfo:
        return DagRunInfo(tick, DataInterval(tick - self.interval, tick), tick)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> DagRunInfo | None:
        last = last_automated_data_interval
        if restriction.catchup:
            if last is not None:
                tick = self.cron.next_after(last.end)
            elif restriction.earliest is None:
                return None
            else:
                tick = self.cron.align_to_next(restriction.earliest)
        else:
            candidates = [self.cron.align_to_prev(as_utc(now, "now"))]
            if last is not None:
                candidates.append(self.cron.next_after(last.end))
            if restriction.earliest is not None:
                candidates.append(self.cron.align_to_next(restriction.earliest))
            tick = max(candidates)
        if restriction.latest is not None and restriction.latest < tick:
            return None
        return self._info(tick)

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        run_after = as_utc(run_after, "run_after")
        return DataInterval(run_after - self.interval, run_after)

    def skip_ahead(
        self, first: DagRunInfo, restriction: TimeRestriction, now: datetime
    ) -> DagRunInfo:
        target = now if restriction.latest is None else min(now, restriction.latest)
        if first.run_after >= target:
            return first
        return self._info(seek(self.cron, self.cron.next_after, first.run_after, target))
