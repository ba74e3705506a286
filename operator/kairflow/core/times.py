"""Time, in one place: reading timestamps, writing them, and converting to UTC.

Three kinds of datetimes cross Kairflow's borders, and each has one reader here:

- timestamps the API server or we ourselves wrote (`creationTimestamp`, status
  dates): ISO-8601, `Z` or an offset; `parse_time` reads them (a hand-written naive
  one is read as UTC), `iso` writes them (always UTC);
- dates a DAG author writes (`startDate`, a manual run's `logicalDate`): naive ones
  are wall times in the DAG's zone; `to_utc` resolves them the way Airflow's
  `make_aware` does (pendulum's POST_TRANSITION rule), see `localize`;
- values the core passes around: always aware; `as_utc` insists on it.

(`api.types.parse_datetime` reads a date as written in a manifest, naive or not, for
the pydantic models; turning it into an instant is `to_utc`'s job, here.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "as_utc",
    "instant",
    "iso",
    "kube_micro_time",
    "kube_time",
    "localize",
    "parse_time",
    "to_naive",
    "to_utc",
]


def parse_time(text: str | None) -> datetime | None:
    """A stored timestamp (`Z` or an offset); a hand-written naive one is read as UTC."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def instant(text: str | None) -> datetime:
    """`parse_time` for a timestamp that must be there."""
    moment = parse_time(text)
    if moment is None:
        raise ValueError("empty timestamp")
    return moment


def iso(moment: datetime) -> str:
    """How Kairflow writes a timestamp: ISO-8601 in UTC."""
    return as_utc(moment, "timestamp").isoformat()


def kube_time(moment: datetime) -> str:
    """Kubernetes' Time (RFC 3339 in UTC, whole seconds): Events, pod statuses."""
    return as_utc(moment, "timestamp").strftime("%Y-%m-%dT%H:%M:%SZ")


def kube_micro_time(moment: datetime) -> str:
    """Kubernetes' MicroTime (RFC 3339 in UTC, microseconds): Leases."""
    return as_utc(moment, "timestamp").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_utc(value: datetime, name: str) -> datetime:
    """An aware datetime in UTC; a naive one is a programming error, named in the message."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall time in `tz` as an aware UTC instant (pendulum's POST_TRANSITION)."""
    earlier = naive.replace(tzinfo=tz, fold=0)
    later = naive.replace(tzinfo=tz, fold=1)
    early_offset, late_offset = earlier.utcoffset(), later.utcoffset()
    assert early_offset is not None and late_offset is not None
    if early_offset > late_offset:
        # Ambiguous (clocks went back): the second occurrence.
        return later.astimezone(UTC)
    # Unique, or skipped (fold=0 reads it with the offset before the gap, i.e. later).
    return earlier.astimezone(UTC)


def to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """An aware value in UTC; a naive one is a wall time in `tz` (like Airflow's start_date)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return localize(value, tz)
    return value.astimezone(UTC)


def to_naive(moment: datetime, tz: ZoneInfo) -> datetime:
    """The wall time of an aware instant in `tz`, without tzinfo (and without fold)."""
    return moment.astimezone(tz).replace(tzinfo=None, fold=0)
