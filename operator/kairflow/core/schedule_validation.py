"""Reading and checking a DAG's schedule fields, with messages a user can act on.

`validate_schedule(spec)` lists every problem at once (for a status condition and an
Event); `parse_schedule` / `load_timezone` are what `timetable_for` builds from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kairflow.api import DAGSpec, TimetableKind, parse_duration
from kairflow.core.cron import CronError, normalize_cron
from kairflow.core.times import to_utc


class ScheduleError(ValueError):
    """An invalid schedule; `problems` holds one clear message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ScheduleKind(StrEnum):
    MANUAL = "manual"  # no schedule: Airflow's NullTimetable
    ONCE = "once"
    CONTINUOUS = "continuous"
    CRON = "cron"  # a cron expression or a preset such as @daily
    DURATION = "duration"  # Airflow's timedelta schedule


@dataclass(frozen=True)
class ParsedSchedule:
    kind: ScheduleKind
    cron: str | None = None
    """The 5-field expression (presets expanded), for CRON."""
    delta: timedelta | None = None
    """The interval, for DURATION."""


def parse_schedule(text: str | None) -> ParsedSchedule:
    """What `spec.schedule` means; ScheduleError with the reason when it means nothing."""
    if text is None:
        return ParsedSchedule(ScheduleKind.MANUAL)
    value = text.strip()
    if value == "@once":
        return ParsedSchedule(ScheduleKind.ONCE)
    if value == "@continuous":
        return ParsedSchedule(ScheduleKind.CONTINUOUS)
    if not value:
        raise ScheduleError(["schedule: empty; leave it out for a DAG that only runs manually"])
    if value.startswith("@") or len(value.split()) > 1:
        try:
            return ParsedSchedule(ScheduleKind.CRON, cron=normalize_cron(value))
        except CronError as exc:
            raise ScheduleError([f"schedule: invalid cron {value!r}: {exc}"]) from None
    try:
        delta = parse_duration(value)
    except ValueError:
        raise ScheduleError(
            [
                f"schedule: {value!r} is neither a cron expression (5 fields, e.g. '0 0 * * *'), "
                "a preset (@daily, @once...) nor a duration (e.g. '30m', '1d', 'PT5M')"
            ]
        ) from None
    if delta <= timedelta(0):
        raise ScheduleError([f"schedule: the interval {value!r} must be positive"])
    return ParsedSchedule(ScheduleKind.DURATION, delta=delta)


def load_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # OSError: a name like "America" is a folder of the zone database (IsADirectoryError).
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            [f"timezone: unknown time zone {name!r}; use an IANA name like 'Asia/Seoul' or 'UTC'"]
        ) from None


def validate_schedule(spec: DAGSpec) -> list[str]:
    """Every problem with the schedule fields of a DAG, as readable sentences."""
    problems: list[str] = []
    parsed: ParsedSchedule | None = None
    try:
        parsed = parse_schedule(spec.schedule)
    except ScheduleError as exc:
        problems.extend(exc.problems)
    tz: ZoneInfo | None = None
    try:
        tz = load_timezone(spec.timezone)
    except ScheduleError as exc:
        problems.extend(exc.problems)

    if spec.schedule is not None and spec.start_date is None:
        # Airflow: "DAG is missing the start_date parameter".
        problems.append(
            "startDate: required with a schedule (the first interval starts there); "
            "leave schedule out for a DAG that only runs manually"
        )
    if tz is not None and spec.start_date is not None and spec.end_date is not None:
        start, end = to_utc(spec.start_date, tz), to_utc(spec.end_date, tz)
        if start > end:
            problems.append(
                f"startDate {start.isoformat()} is after endDate {end.isoformat()}: "
                "nothing would ever be scheduled"
            )
    if parsed is not None and parsed.kind is ScheduleKind.CONTINUOUS and spec.max_active_runs > 1:
        problems.append(
            "maxActiveRuns: @continuous runs one run at a time; set maxActiveRuns to 1 "
            f"(it is {spec.max_active_runs})"
        )
    if spec.timetable is TimetableKind.TRIGGER:
        if parsed is not None and parsed.kind is not ScheduleKind.CRON:
            shown = "no schedule" if spec.schedule is None else repr(spec.schedule)
            problems.append(
                f"timetable: trigger needs a cron schedule or a preset like @daily, not {shown}"
            )
        if spec.trigger_interval is not None and spec.trigger_interval < timedelta(0):
            problems.append("triggerInterval: must not be negative")
    elif spec.trigger_interval is not None:
        problems.append(
            "triggerInterval: only used with 'timetable: trigger' "
            "(a dataInterval timetable takes its intervals from the schedule)"
        )
    return problems
