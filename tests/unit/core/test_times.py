"""Time at Kairflow's borders: stored timestamps read and written, a DAG author's wall
times resolved in the DAG's zone (Airflow's make_aware: pendulum's POST_TRANSITION),
and the insistence on aware values inside the core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from kairflow.core.times import as_utc, instant, iso, localize, parse_time, to_naive, to_utc


def at(text: str) -> datetime:
    """An instant: naive text is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class NoOffset(tzinfo):
    """A zone that knows no offset: Python calls such values naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


LOCALIZE = [
    pytest.param(
        "America/New_York",
        "2026-03-08T02:30",
        "2026-03-08 07:30",
        id="a skipped wall time is pushed forward by the gap (02:30 -> 03:30 EDT)",
    ),
    pytest.param(
        "America/New_York",
        "2026-11-01T01:30",
        "2026-11-01 06:30",
        id="a repeated wall time is its second occurrence (01:30 EST)",
    ),
    pytest.param(
        "America/New_York",
        "2026-03-08T01:59:59.999999",
        "2026-03-08 06:59:59.999999",
        id="the instant before the gap is plain standard time",
    ),
    pytest.param(
        "America/New_York",
        "2026-03-08T03:00",
        "2026-03-08 07:00",
        id="the first wall time after the gap is plain daylight time",
    ),
    pytest.param(
        "Europe/London",
        "2026-03-29T01:30",
        "2026-03-29 01:30",
        id="London's skipped 01:30 is 02:30 BST",
    ),
    pytest.param(
        "Europe/London",
        "2026-10-25T01:30",
        "2026-10-25 01:30",
        id="London's repeated 01:30 is the GMT one",
    ),
    pytest.param(
        "Europe/Dublin",
        "2026-10-25T01:30",
        "2026-10-25 01:30",
        id="Dublin (whose tz data calls winter the DST) repeats 01:30: the GMT one",
    ),
    pytest.param(
        "Europe/Dublin",
        "2026-03-29T01:30",
        "2026-03-29 01:30",
        id="Dublin's skipped 01:30 is 02:30 IST",
    ),
    pytest.param(
        "Australia/Sydney",
        "2026-04-05T02:30",
        "2026-04-04 16:30",
        id="Sydney repeats 02:30 in April: the second one (AEST, +10)",
    ),
    pytest.param(
        "Australia/Sydney",
        "2026-10-04T02:30",
        "2026-10-03 16:30",
        id="Sydney skips 02:30 in October: it becomes 03:30 AEDT",
    ),
    pytest.param(
        "America/Santiago",
        "2026-09-06T00:30",
        "2026-09-06 04:30",
        id="Santiago skips midnight: 00:30 becomes 01:30 (-03)",
    ),
    pytest.param(
        "America/Santiago",
        "2026-04-04T23:30",
        "2026-04-05 03:30",
        id="Santiago repeats the hour before midnight: the second 23:30 (-04)",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        "2026-04-05T01:45",
        "2026-04-04 15:15",
        id="Lord Howe repeats half an hour: the second 01:45 (+10:30)",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        "2026-10-04T02:15",
        "2026-10-03 15:45",
        id="Lord Howe skips half an hour: 02:15 becomes 02:45 (+11)",
    ),
    pytest.param(
        "Asia/Seoul", "2026-03-08T02:30", "2026-03-07 17:30", id="Seoul has no DST at all"
    ),
    pytest.param("UTC", "2026-03-08T02:30", "2026-03-08 02:30", id="a UTC wall time is UTC"),
]


@pytest.mark.parametrize(("zone", "naive", "expected"), LOCALIZE)
def test_localize_like_airflow_make_aware(zone: str, naive: str, expected: str) -> None:
    found = localize(datetime.fromisoformat(naive), ZoneInfo(zone))
    assert found == at(expected)
    assert found.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        pytest.param(
            datetime(2026, 3, 2, 9, 0),
            "Asia/Seoul",
            "2026-03-02T00:00",
            id="a naive value is a wall time in the DAG's zone",
        ),
        pytest.param(
            at("2026-03-02T09:00+09:00"),
            "America/New_York",
            "2026-03-02T00:00",
            id="an aware value keeps its instant whatever the DAG's zone",
        ),
        pytest.param(
            datetime(2026, 11, 1, 1, 30, fold=0),
            "America/New_York",
            "2026-11-01T06:30",
            id="a naive repeated wall time is the second one even when it says fold=0",
        ),
    ],
)
def test_to_utc(value: datetime, zone: str, expected: str) -> None:
    found = to_utc(value, ZoneInfo(zone))
    assert found == at(expected)
    assert found.tzinfo is UTC


@pytest.mark.parametrize(
    ("moment", "zone", "wall"),
    [
        pytest.param(
            at("2026-03-02T00:00"), "Asia/Seoul", "2026-03-02T09:00", id="the wall time in a zone"
        ),
        pytest.param(
            at("2026-11-01T05:30"),
            "America/New_York",
            "2026-11-01T01:30",
            id="the first of two repeated wall times is that wall time",
        ),
        pytest.param(
            at("2026-11-01T06:30"),
            "America/New_York",
            "2026-11-01T01:30",
            id="the second of two repeated wall times is written without its fold",
        ),
    ],
)
def test_to_naive(moment: datetime, zone: str, wall: str) -> None:
    found = to_naive(moment, ZoneInfo(zone))
    assert (found, found.tzinfo, found.fold) == (datetime.fromisoformat(wall), None, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="no timestamp is None"),
        pytest.param("", None, id="an empty timestamp is None"),
        pytest.param("2026-01-02T03:04:05Z", "2026-01-02T03:04:05", id="Z is UTC"),
        pytest.param(
            "2026-01-02T12:04:05+09:00", "2026-01-02T03:04:05", id="an offset gives the instant"
        ),
        pytest.param(
            "2026-01-02T03:04:05", "2026-01-02T03:04:05", id="a hand-written naive one is UTC"
        ),
        pytest.param("2026-01-02", "2026-01-02T00:00", id="a date alone is its midnight in UTC"),
        pytest.param(
            "2026-01-02T03:04:05.123456Z",
            "2026-01-02T03:04:05.123456",
            id="microseconds are kept",
        ),
    ],
)
def test_parse_time(text: str | None, expected: str | None) -> None:
    found = parse_time(text)
    assert found == (at(expected) if expected else None)
    assert found is None or found.utcoffset() is not None


@pytest.mark.parametrize("text", [None, ""])
def test_instant_insists_on_a_timestamp(text: str | None) -> None:
    with pytest.raises(ValueError, match="empty timestamp"):
        instant(text)


def test_instant_reads_like_parse_time() -> None:
    assert instant("2026-01-02T12:00+09:00") == at("2026-01-02T03:00")


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        pytest.param(at("2026-01-02T03:04:05"), "2026-01-02T03:04:05+00:00", id="UTC as it is"),
        pytest.param(
            at("2026-01-02T12:04:05+09:00"),
            "2026-01-02T03:04:05+00:00",
            id="another offset is written in UTC",
        ),
    ],
)
def test_iso_writes_utc(moment: datetime, written: str) -> None:
    assert iso(moment) == written
    assert parse_time(written) == moment


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: iso(datetime(2026, 1, 2)),
            "timestamp must be timezone-aware, got 2026-01-02T00:00:00",
            id="writing a naive timestamp is a programming error",
        ),
        pytest.param(
            lambda: as_utc(datetime(2026, 1, 2, 3), "now"),
            "now must be timezone-aware, got 2026-01-02T03:00:00",
            id="a naive value inside the core is named in the error",
        ),
        pytest.param(
            lambda: as_utc(datetime(2026, 1, 2, 3, tzinfo=NoOffset()), "now"),
            "now must be timezone-aware, got 2026-01-02T03:00:00",
            id="a value whose zone gives no offset is naive too",
        ),
    ],
)
def test_naive_values_are_refused_inside_the_core(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        call()
    assert str(raised.value) == message


def test_as_utc_converts_to_utc() -> None:
    found = as_utc(at("2026-01-02T12:00+09:00"), "x")
    assert (found, found.tzinfo) == (at("2026-01-02T03:00"), UTC)
