"""Airflow's Python values as manifest values: durations, dates, schedules, names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kairflow.api.types import format_duration
from kairflow.sdk.errors import SdkError

_DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_PRESETS = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly"}
    | {"@yearly", "@annually", "@midnight"}
)


def kubernetes_name(dag_id: str) -> str:
    """Airflow's dag_id as a DNS-1123 name: lower case, `_` becomes `-`."""
    name = dag_id.lower().replace("_", "-")
    if not _DNS_1123.fullmatch(name):
        raise SdkError(
            f"dag_id {dag_id!r} cannot be a Kubernetes name (letters, digits, '_', '-' and "
            "'.', starting and ending with a letter or digit, at most 253 characters)"
        )
    return name


def duration(value: Any, what: str) -> str | None:
    """A timedelta or a number of seconds (Airflow accepts both) as "1h30m"."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_duration(timedelta(seconds=value))
    raise SdkError(f"{what} must be a timedelta or a number of seconds, not {value!r}")


def zone_name(zone: Any) -> str | None:
    """The IANA name of a tzinfo (zoneinfo's `.key`, pendulum's `.name`), if it has one."""
    if zone is None:
        return None
    if zone is UTC:
        return "UTC"
    for attribute in ("key", "name", "zone"):
        name = getattr(zone, attribute, None)
        if isinstance(name, str) and _is_iana(name):
            return name
    return None


def _is_iana(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True


def timezone_of(value: Any) -> str | None:
    """The IANA zone of an aware datetime, or of a zone given as a name or a tzinfo."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return zone_name(value.tzinfo)
    if isinstance(value, tzinfo):
        name = zone_name(value)
        if name is None:
            raise SdkError(f"timezone {value!r} has no IANA name; use e.g. 'Europe/Paris'")
        return name
    return None


def utc_datetime(value: Any, what: str) -> str | None:
    """A datetime (naive: UTC, as Airflow's default time zone) or a date, in UTC ISO-8601."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).isoformat()
    raise SdkError(f"{what} must be a datetime, not {value!r}")


def schedule(value: Any) -> str | None:
    """Airflow's schedule: None, a cron expression, a preset or a timedelta."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("@") and text not in _PRESETS:
            raise SdkError(f"unknown schedule preset {text!r}")
        return "@daily" if text == "@midnight" else text
    raise SdkError(
        f"schedule {value!r} is not supported: use None, a cron expression, a preset "
        "like '@daily', a timedelta, CronTriggerTimetable or assets (Asset, [a, b], a | b)"
    )
