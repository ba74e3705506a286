from datetime import UTC, datetime, timedelta, timezone

import pytest

from kairflow.api.types import format_duration, parse_datetime, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("30s", timedelta(seconds=30), id="seconds"),
        pytest.param("5m", timedelta(minutes=5), id="minutes"),
        pytest.param("2h", timedelta(hours=2), id="hours"),
        pytest.param("1d", timedelta(days=1), id="days"),
        pytest.param("2w", timedelta(weeks=2), id="weeks"),
        pytest.param("1h30m", timedelta(hours=1, minutes=30), id="compound"),
        pytest.param("1.5h", timedelta(minutes=90), id="fractional"),
        pytest.param("250ms", timedelta(milliseconds=250), id="milliseconds"),
        pytest.param("PT5M", timedelta(minutes=5), id="iso minutes"),
        pytest.param("P1DT2H", timedelta(days=1, hours=2), id="iso days and hours"),
        pytest.param("P1W", timedelta(weeks=1), id="iso weeks"),
        pytest.param("pt30s", timedelta(seconds=30), id="iso lower case"),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "P", "PT", "1y", "-5m", "P1DT"])
def test_parse_duration_rejects_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration.*'30s'"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(minutes=5), "5m"),
        (timedelta(days=1, hours=2, seconds=3), "1d2h3s"),
        (timedelta(milliseconds=1500), "1s500ms"),
    ],
)
def test_format_duration_round_trips(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(text) == delta


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-01-01", datetime(2021, 1, 1)),
        ("2021-01-01T06:30:00", datetime(2021, 1, 1, 6, 30)),
        ("2021-01-01T00:00:00Z", datetime(2021, 1, 1, tzinfo=UTC)),
        (
            "2021-01-01T00:00:00+09:00",
            datetime(2021, 1, 1, tzinfo=timezone(timedelta(hours=9))),
        ),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_parse_datetime_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="invalid date-time 'yesterday'"):
        parse_datetime("yesterday")
