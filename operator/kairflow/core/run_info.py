"""The values timetables speak in: data intervals, run infos, time restrictions,
and the Timetable protocol itself (Airflow's `airflow/timetables/base.py`).

Every datetime going in must be aware; every datetime coming out is in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from kairflow.core.times import as_utc


@dataclass(frozen=True)
class DataInterval:
    """The data a run covers: [start, end) (both aware, stored in UTC)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start, "start"))
        object.__setattr__(self, "end", as_utc(self.end, "end"))

    @classmethod
    def exact(cls, at: datetime) -> DataInterval:
        return cls(at, at)


@dataclass(frozen=True)
class DagRunInfo:
    """One automated run: its logical date, data interval, and when it may be created."""

    logical_date: datetime
    data_interval: DataInterval
    run_after: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "logical_date", as_utc(self.logical_date, "logical_date"))
        object.__setattr__(self, "run_after", as_utc(self.run_after, "run_after"))

    @classmethod
    def interval(cls, start: datetime, end: datetime) -> DagRunInfo:
        """A run over [start, end), created once `end` has passed."""
        return cls(start, DataInterval(start, end), end)

    @classmethod
    def exact(cls, at: datetime) -> DagRunInfo:
        return cls(at, DataInterval(at, at), at)


@dataclass(frozen=True)
class TimeRestriction:
    """start_date (earliest) and end_date (latest), both inclusive, and catchup."""

    earliest: datetime | None
    latest: datetime | None
    catchup: bool

    def __post_init__(self) -> None:
        if self.earliest is not None:
            object.__setattr__(self, "earliest", as_utc(self.earliest, "earliest"))
        if self.latest is not None:
            object.__setattr__(self, "latest", as_utc(self.latest, "latest"))


class Timetable(Protocol):
    """What the scheduler asks a DAG's schedule (Airflow's Timetable protocol)."""

    @property
    def description(self) -> str:
        """The schedule in words, e.g. "at 00:00 every day, Asia/Seoul"."""
        ...

    @property
    def active_runs_limit(self) -> int | None:
        """At most this many runs in flight, whatever maxActiveRuns says (None: no limit)."""
        ...

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> DagRunInfo | None:
        """The run after the last automated one (None: no more runs)."""
        ...

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        """The data interval of a manual run triggered at `run_after`."""
        ...


@runtime_checkable
class SkipsAhead(Protocol):
    """A timetable that can jump over a long catchup backlog (see `next_run`)."""

    def skip_ahead(
        self, first: DagRunInfo, restriction: TimeRestriction, now: datetime
    ) -> DagRunInfo:
        """A run of the sequence that starts at `first`: the first one not due at `now`,
        or a due one a few steps before it. Only called with catchup."""
        ...
