"""Cron expressions in words, for `kubectl get dags` and the CLI ("at 00:00 every day").

Covers the common shapes; anything else falls back to quoting the expression.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from croniter import croniter

_MONTH_NAMES = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]
_DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _weekdays(values: list[int]) -> str:
    days = sorted({value % 7 for value in values})
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{_DAY_NAMES[days[0]]} to {_DAY_NAMES[days[-1]]}"
    return _join([_DAY_NAMES[day] for day in days])


def _numbers(field: Sequence[int | str]) -> list[int] | None:
    """The values of an expanded croniter field; None for `*` (every value)."""
    if field == ["*"]:
        return None
    return [int(value) for value in field if isinstance(value, int)]


def _times(expression: str, minutes: list[int] | None, hours: list[int] | None) -> str | None:
    text_minute, text_hour = expression.split()[:2]
    if minutes is None and hours is None:
        return "every minute"
    if hours is None and minutes is not None:
        if text_minute.startswith("*/"):
            return f"every {text_minute[2:]} minutes"
        return "at " + _join([f":{m:02d}" for m in minutes]) + " past every hour"
    if minutes is not None and hours is not None and len(minutes) * len(hours) <= 4:
        return "at " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
    if minutes is not None and len(minutes) == 1 and text_hour.startswith("*/"):
        return f"at :{minutes[0]:02d} every {text_hour[2:]} hours"
    if (
        text_minute.startswith("*/")
        and hours is not None
        and hours == list(range(hours[0], hours[-1] + 1))
    ):
        return f"every {text_minute[2:]} minutes from {hours[0]:02d}:00 to {hours[-1]:02d}:59"
    return None


def describe_cron(expression: str) -> str:
    """A short English description of a (valid, 5-field) cron expression."""
    try:
        minute, hour, day, month, weekday = croniter(expression).expanded[:5]
    except (ValueError, KeyError):
        return f"cron {expression!r}"
    if any(mark in expression.upper() for mark in ("L", "#")):
        return f"cron {expression!r}"  # last day, nth weekday: keep the expression itself
    times = _times(expression, _numbers(minute), _numbers(hour))
    if times is None:
        return f"cron {expression!r}"
    days, months, weekdays = _numbers(day), _numbers(month), _numbers(weekday)
    parts = [times]
    if days is None and weekdays is None and re.match(r"at \d\d:\d\d", times):
        parts.append("every day")
    if days is not None:
        parts.append("on day " + _join([str(d) for d in days]) + " of")
        parts.append("every month" if months is None else "")
    if weekdays is not None:
        parts.append(("and on " if days is not None else "on ") + _weekdays(weekdays))
    if months is not None:
        parts.append(("in " if days is None else "") + _join([_MONTH_NAMES[m - 1] for m in months]))
    return " ".join(part for part in parts if part)
