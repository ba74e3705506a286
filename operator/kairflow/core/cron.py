"""Cron expressions stepped in a DAG's time zone, as Airflow's `CronMixin` does.

croniter only knows naive wall-clock times, so (as in Airflow) every step goes
through the DAG's zone:

- a cron whose hour field is `*` (it runs at least once an hour: `0 * * * *`,
  `*/15 * * * *`, `0 * * * 1-5`) steps by *elapsed* time,
  `current + (naive_next - naive_current)`, so the repeated hour is run again and
  the skipped one is not run twice;
- any other cron (`0 0 * * *`, `*/5 9-17 * * 1-5`, `0 0,12 * * *`) follows the wall
  clock: each naive tick is localized again, so 09:00 stays 09:00 across DST.

This is Airflow's `_covers_every_hour` rule (apache/airflow#35887, the fix of
#7999; Airflow 2.10 has it). Airflow 2.6.3 used `_is_schedule_fixed` (one wall time per day)
instead, which sends crons like `*/5 9-17 * * 1-5` backwards at a fall-back
weekend and runs `0 9,17 * * *` at 10:00 after spring-forward; we do not copy that.

Localizing a naive wall time follows pendulum's POST_TRANSITION rule used by
Airflow's `make_aware`: an ambiguous time is its *later* occurrence, a time inside
a DST gap is pushed forward by the gap (02:30 on spring-forward day -> 03:30).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from kairflow.core.times import localize, to_naive

PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@midnight": "0 0 * * *",
}
"""Airflow's cron presets (`@annually`/`@midnight` reach croniter's own aliases there)."""

_ONE_MICROSECOND = timedelta(microseconds=1)
_PROBE = datetime(2000, 1, 1)


class CronError(ValueError):
    """A cron expression that Airflow 2.6 would refuse (the message says why)."""


_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (name, lowest, highest, names) of the five fields.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day-of-week", 0, 7, {d: i for i, d in enumerate(_DAYS)}),
)
_ITEM = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>\d+))?$")


def _value(text: str, field: int) -> int:
    name, low, high, names = _FIELDS[field]
    number = names.get(text.upper()) if not text.isdigit() else int(text)
    if number is None:
        raise CronError(f"{name} field: {text!r} is not a number or a known name")
    if not low <= number <= high:
        raise CronError(f"{name} field: {number} is out of range {low}-{high}")
    return number


def _check_item(item: str, field: int) -> None:
    name = _FIELDS[field][0]
    if field == 2 and item.upper() == "L":
        return  # last day of the month (croniter extension Airflow accepts)
    if field == 4 and re.fullmatch(r"[0-7A-Za-z]+#[1-5]", item):
        _value(item.split("#", maxsplit=1)[0], field)  # "5#2": the second Friday
        return
    match = _ITEM.match(item)
    if not match:
        raise CronError(f"{name} field: {item!r} is not valid")
    if match["step"] is not None and int(match["step"]) == 0:
        raise CronError(f"{name} field: step 0 in {item!r} is not valid")
    if match["range"] == "*":
        return
    bounds = [_value(part, field) for part in match["range"].split("-")]
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        # croniter 1.x (Airflow 2.6) rejects wrap-around ranges like 5-1.
        raise CronError(f"{name} field: range {item!r} goes backwards")


def normalize_cron(expression: str) -> str:
    """The 5-field expression for a cron string or preset; CronError naming the bad field."""
    text = " ".join(expression.split())
    if text.startswith("@"):
        if text not in PRESETS:
            known = ", ".join(sorted({*PRESETS, "@once", "@continuous"}))
            raise CronError(f"unknown preset {text!r}; known presets: {known}")
        return PRESETS[text]
    fields = text.split(" ")
    if len(fields) != 5:
        raise CronError(
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(fields)}"
        )
    for index, field in enumerate(fields):
        for item in field.split(","):
            _check_item(item, index)
    try:
        # croniter has the last word, and "0 0 30 2 *" is well-formed but never fires.
        croniter(text, start_time=_PROBE).get_next(datetime)
    except (ValueError, KeyError) as exc:
        raise CronError(f"never fires or is not valid: {exc}") from None
    return text


def offset_at(instant: datetime, tz: ZoneInfo) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _covers_every_hour(expression: str) -> bool:
    # croniter normalizes an hour field covering 0-23 (`*/1`, `0-23`...) to `*`.
    return bool(croniter(expression).expanded[1] == ["*"])


class CronSchedule:
    """A (valid, normalized) cron expression in a time zone: Airflow's `CronMixin`.

    Not thread-safe: it moves one croniter iterator around (build one per thread).
    """

    def __init__(self, expression: str, tz: ZoneInfo) -> None:
        self.expression = normalize_cron(expression)
        self.tz = tz
        self.wall_clock = not _covers_every_hour(self.expression)
        """Localize each tick again (True), or step by elapsed time (False)."""
        # Parsing costs more than stepping: keep one iterator and move it around.
        self._ticks = croniter(self.expression, start_time=_PROBE)

    def __repr__(self) -> str:
        return f"CronSchedule({self.expression!r}, {self.tz.key!r})"

    # Naive wall-clock ticks (croniter's own semantics: strictly after / before).
    def naive_next(self, naive: datetime) -> datetime:
        self._ticks.set_current(naive, force=True)
        value: datetime = self._ticks.get_next(datetime)
        return value

    def naive_prev(self, naive: datetime) -> datetime:
        self._ticks.set_current(naive, force=True)
        value: datetime = self._ticks.get_prev(datetime)
        return value

    def naive_at_or_before(self, naive: datetime) -> datetime:
        return self.naive_prev(naive + _ONE_MICROSECOND)

    def is_tick(self, naive: datetime) -> bool:
        return self.naive_next(naive - _ONE_MICROSECOND) == naive

    # Aware steps, exactly Airflow's `_get_next`, `_get_prev`, `_align_to_next/prev`.
    def next_after(self, current: datetime) -> datetime:
        naive = to_naive(current, self.tz)
        scheduled = self.naive_next(naive)
        if self.wall_clock:
            return localize(scheduled, self.tz)
        return current.astimezone(UTC) + (scheduled - naive)

    def prev_before(self, current: datetime) -> datetime:
        naive = to_naive(current, self.tz)
        scheduled = self.naive_prev(naive)
        if self.wall_clock:
            return localize(scheduled, self.tz)
        return current.astimezone(UTC) - (naive - scheduled)

    def align_to_next(self, current: datetime) -> datetime:
        """`current` if it is a tick, else the next tick."""
        following = self.next_after(current)
        return following if self.prev_before(following) != current else current.astimezone(UTC)

    def align_to_prev(self, current: datetime) -> datetime:
        """`current` if it is a tick, else the previous tick."""
        preceding = self.prev_before(current)
        return preceding if self.next_after(preceding) != current else current.astimezone(UTC)
