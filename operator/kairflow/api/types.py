"""Wire types shared by the resources: durations and lenient date-times.

Durations accept Go/Kubernetes-style strings ("30s", "5m", "1h30m", "1d", "2w") and
ISO-8601 ("PT5M", "P1DT2H"). Date-times accept ISO-8601 with or without a time or an
offset; a naive value is read in the DAG's time zone by the core, like Airflow does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIMPLE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_SIMPLE_FULL = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")
_ISO = re.compile(
    r"P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
# The same grammar for the apiserver (RE2: no lookarounds), so bad input fails at apply.
DURATION_PATTERN = (
    r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$"
    r"|^P([0-9]+(\.[0-9]+)?W)?([0-9]+(\.[0-9]+)?D)?"
    r"(T([0-9]+(\.[0-9]+)?H)?([0-9]+(\.[0-9]+)?M)?([0-9]+(\.[0-9]+)?S)?)?$"
)
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse "1h30m" or "PT1H30M" into a timedelta; ValueError with a clear message."""
    value = text.strip()
    if _SIMPLE_FULL.fullmatch(value):
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _SIMPLE.findall(value))
        return timedelta(seconds=seconds)
    match = _ISO.fullmatch(value.upper())
    if match and value.upper() not in ("P", "PT") and not value.upper().endswith("T"):
        parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
        return timedelta(
            weeks=parts["w"],
            days=parts["d"],
            hours=parts["h"],
            minutes=parts["m"],
            seconds=parts["s"],
        )
    raise ValueError(
        f"invalid duration {text!r}: use e.g. '30s', '5m', '1h30m', '1d' or ISO-8601 'PT5M'"
    )


def format_duration(delta: timedelta) -> str:
    """The shortest "1d2h3m4s" form of a timedelta (milliseconds kept when present)."""
    total_ms = round(delta.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    sign = "-" if total_ms < 0 else ""
    total_ms = abs(total_ms)
    out = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        count, total_ms = divmod(total_ms, size)
        if count:
            out.append(f"{count}{unit}")
    if total_ms:
        out.append(f"{total_ms}ms")
    return sign + "".join(out)


def _to_timedelta(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    return value  # a timedelta from Python code; anything else fails type validation


def parse_datetime(text: str) -> datetime:
    """ISO-8601 date or date-time; naive results are resolved later in the DAG's zone."""
    value = text.strip()
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"invalid date-time {text!r}: use ISO-8601, e.g. '2021-01-01' "
            "or '2021-01-01T00:00:00+09:00'"
        ) from None


def _to_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return parse_datetime(value)
    return value


def _iso(value: datetime) -> str:
    return value.isoformat()


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_timedelta),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}),
]
"""A duration on the wire: "30s", "5m", "2h", "1d", "1h30m" or ISO-8601 "PT5M"."""


def _longer_than_zero(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError(f"must be longer than 0s (got {format_duration(value)})")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_longer_than_zero)]
"""A `Duration` where zero makes no sense (a timeout, an interval between pokes): the
schema's pattern cannot tell "0s" from "5s", so zero is refused on validation, as the
DAG's condition and Event say."""

LenientDateTime = Annotated[
    datetime,
    BeforeValidator(_to_datetime),
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DATETIME_PATTERN}),
]
"""An ISO-8601 date or date-time; may be naive (read in the DAG's time zone)."""
