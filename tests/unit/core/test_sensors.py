"""A sensor's next poke and its timeout: known values of Airflow's BaseSensorOperator,
then what a timed-out sensor becomes, through the planner."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kairflow.api.dag import SensorSpec
from kairflow.core.sensors import next_poke_interval, timed_out
from tests.unit.core.planner_harness import Outcome, Simulation, make_run, make_spec

FIRST_POKE = datetime(2026, 11, 21, 12, tzinfo=UTC)
BACKOFF = {"exponentialBackoff": True}


def airflow_poke_interval(
    settings: dict[str, Any], dag_id: str, task_id: str, started_at: datetime, poke_count: int
) -> float:
    """Airflow's `BaseSensorOperator._get_next_poke_interval` in seconds, written from
    Airflow's code: `poke_count` is 1 after the first poke; `started_at` is the first
    poke's start as Airflow keeps it, a datetime in UTC (its str() has a space)."""
    sensor = SensorSpec.model_validate(settings)
    if not sensor.exponential_backoff:
        return sensor.poke_interval.total_seconds()
    min_backoff = max(int(sensor.poke_interval.total_seconds() * (2 ** (poke_count - 2))), 1)
    key = f"{dag_id}#{task_id}#{started_at}#{poke_count}"
    run_hash = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(), 16)
    delay = min(min_backoff + run_hash % min_backoff, timedelta.max.total_seconds() - 1)
    run_duration = (NOW - started_at).total_seconds()
    interval = min(sensor.timeout.total_seconds() - int(run_duration), delay)
    if sensor.max_wait:  # Airflow tests it for truth: a zero maxWait bounds nothing
        interval = min(sensor.max_wait.total_seconds(), interval)
    return interval


NOW = FIRST_POKE + timedelta(seconds=1)

# Seconds until the next poke after pokes 1..6 said "not yet", one second after the
# first poke started (DAG "tutorial", task "wait-for-file").
INTERVALS = [
    pytest.param({}, FIRST_POKE, [60] * 6, id="a fixed pokeInterval: 60 s by default"),
    pytest.param(
        {"pokeInterval": "1h", "timeout": "10m"},
        FIRST_POKE,
        [3600] * 6,
        id="a fixed interval is not shortened by the timeout",
    ),
    pytest.param(
        {"pokeInterval": "10m", "maxWait": "1m"},
        FIRST_POKE,
        [600] * 6,
        id="maxWait bounds only the backoff, not a fixed interval",
    ),
    pytest.param(
        {"pokeInterval": "60s", **BACKOFF},
        FIRST_POKE,
        [34, 88, 137, 292, 842, 1550],
        id="backoff starts at half the interval and doubles, plus a jitter",
    ),
    pytest.param(
        {"pokeInterval": "60s", **BACKOFF},
        FIRST_POKE + timedelta(seconds=0.5),
        [57, 74, 224, 321, 604, 1326],
        id="the jitter differs by the first poke's start",
    ),
    pytest.param(
        {"pokeInterval": "60s", "maxWait": "5m", **BACKOFF},
        FIRST_POKE,
        [34, 88, 137, 292, 300, 300],
        id="maxWait bounds the backoff",
    ),
    pytest.param(
        {"pokeInterval": "60s", "maxWait": "0s", **BACKOFF},
        FIRST_POKE,
        [34, 88, 137, 292, 842, 1550],
        id="a zero maxWait bounds nothing, as in Airflow",
    ),
    pytest.param(
        {"pokeInterval": "1s", **BACKOFF},
        FIRST_POKE,
        [1, 1, 3, 4, 10, 30],
        id="backoff from a 1 s interval waits at least Airflow's floor of 1 s",
    ),
    pytest.param(
        {"pokeInterval": "60s", "timeout": "2m1s", **BACKOFF},
        FIRST_POKE,
        [34, 88, 120, 120, 120, 120],
        id="backoff never waits past the timeout",
    ),
    pytest.param(
        {"pokeInterval": "60s", "timeout": "3s", **BACKOFF},
        FIRST_POKE - timedelta(seconds=0.7),
        [2] * 6,
        id="the time left counts whole seconds run, as Airflow's int(run_duration)",
    ),
]


@pytest.mark.parametrize(("settings", "first_poke_at", "seconds"), INTERVALS)
def test_next_poke_interval(
    settings: dict[str, Any], first_poke_at: datetime, seconds: list[float]
) -> None:
    sensor = SensorSpec.model_validate(settings)
    got = [
        next_poke_interval(
            sensor,
            dag_name="tutorial",
            task_name="wait-for-file",
            first_poke_at=first_poke_at,
            poke_number=poke,
            now=NOW,
        )
        for poke in range(1, 7)
    ]
    assert got == [timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize(("settings", "first_poke_at", "seconds"), INTERVALS)
def test_the_known_values_are_airflows(
    settings: dict[str, Any], first_poke_at: datetime, seconds: list[float]
) -> None:
    airflow = [
        airflow_poke_interval(settings, "tutorial", "wait-for-file", first_poke_at, poke)
        for poke in range(1, 7)
    ]
    assert airflow == seconds


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        pytest.param(timedelta(minutes=4, seconds=59), False, id="before the timeout"),
        pytest.param(timedelta(minutes=5), False, id="exactly at the timeout it may poke again"),
        pytest.param(timedelta(minutes=5, microseconds=1), True, id="past the timeout"),
    ],
)
def test_timed_out(elapsed: timedelta, expected: bool) -> None:
    """Airflow times a sensor out when its run duration exceeds the timeout."""
    sensor = SensorSpec.model_validate({"timeout": "5m"})
    assert timed_out(sensor, FIRST_POKE, FIRST_POKE + elapsed) is expected


NOT_YET = Outcome(exit_code=100)


@pytest.mark.parametrize(
    ("settings", "pokes", "state", "tries", "message"),
    [
        pytest.param(
            {},
            [NOT_YET],
            "failed",
            1,
            "sensor timed out after 5m",
            id="a sensor still waiting at its timeout fails, its retries unused",
        ),
        pytest.param(
            {"softFail": True},
            [NOT_YET],
            "skipped",
            1,
            "sensor timed out after 5m (softFail)",
            id="with softFail a sensor still waiting at its timeout is skipped",
        ),
        pytest.param(
            {"softFail": True},
            [Outcome(exit_code=2)],
            "failed",
            3,
            "exit code 2",
            id="softFail does not skip a poke that errors: it fails after its retries",
        ),
        pytest.param(
            {"softFail": True},
            [NOT_YET, NOT_YET, Outcome()],
            "success",
            1,
            "",
            id="a sensor whose condition holds before the timeout succeeds",
        ),
    ],
)
def test_a_sensor_at_its_timeout(
    settings: dict[str, Any], pokes: list[Outcome], state: str, tries: int, message: str
) -> None:
    sensor = {"mode": "reschedule", "pokeInterval": "1m", "timeout": "5m", **settings}
    task = {"name": "wait", "bash": "test -e /data/ready", "retries": 2, "sensor": sensor}
    sim = Simulation(make_run(make_spec([task])), script={"wait": pokes})
    ti = sim.run_to_end().task_instances["wait"]
    assert (ti.state.value, ti.try_number) == (state, tries)
    assert message in (ti.message or "")
