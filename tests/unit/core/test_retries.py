"""When a failed try is retried: known values of Airflow 2's formula, and which
failures may be retried at all."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kairflow.api.dag import TaskSpec
from kairflow.core.retries import may_retry, retry_delay
from kairflow.core.task_settings import TaskPolicy

LOGICAL_DATE = datetime(2026, 11, 21, tzinfo=UTC)
NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def policy(**settings: Any) -> TaskPolicy:
    """A task's policy from its manifest settings (wire names)."""
    return TaskPolicy.of(TaskSpec.model_validate({"name": "print-date", **settings}))


def airflow_retry_delay(
    settings: dict[str, Any], dag_id: str, task_id: str, execution_date: datetime, try_number: int
) -> float:
    """Airflow 2's `TaskInstance.next_retry_datetime() - end_date` in seconds, written
    from Airflow's code as the scheduler runs it: `try_number` is the try about to run,
    and `execution_date` is read back from the metadata database as a datetime in UTC,
    so the hashed text is `str()` of it ("2026-11-21 00:00:00+00:00")."""
    spec = TaskSpec.model_validate({"name": task_id, **settings})
    delay = spec.retry_delay if spec.retry_delay is not None else timedelta(minutes=5)
    if not spec.retry_exponential_backoff:
        return delay.total_seconds()
    min_backoff = max(1, math.ceil(delay.total_seconds() * (2 ** (try_number - 2))))
    key = f"{dag_id}#{task_id}#{execution_date.astimezone(UTC)}#{try_number}"
    ti_hash = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(), 16)
    backoff = timedelta(seconds=min(min_backoff + ti_hash % min_backoff, 86400))
    if spec.max_retry_delay:  # Airflow tests it for truth: a zero cap caps nothing
        backoff = min(spec.max_retry_delay, backoff)
    return backoff.total_seconds()


BACKOFF = {"retryExponentialBackoff": True}

# Seconds to wait after failed tries 1..6 of DAG "tutorial", task "print-date".
DELAYS = [
    pytest.param({"retryDelay": "5m"}, LOGICAL_DATE, [300] * 6, id="a fixed retryDelay"),
    pytest.param({}, LOGICAL_DATE, [300] * 6, id="no retryDelay waits Airflow's default 5 min"),
    pytest.param(
        {"retryDelay": "48h"},
        LOGICAL_DATE,
        [172800] * 6,
        id="a fixed retryDelay over a day is kept: the 24 h ceiling is the backoff's",
    ),
    pytest.param(
        {"retryDelay": "5m", **BACKOFF},
        LOGICAL_DATE,
        [577, 641, 2031, 4765, 7088, 16073],
        id="backoff doubles a 5 min base each try, plus a jitter below the base",
    ),
    pytest.param(
        {"retryDelay": "5m", **BACKOFF},
        datetime(2026, 3, 8, 12, tzinfo=UTC),
        [493, 1082, 2168, 3709, 7708, 16853],
        id="the jitter differs by logical date",
    ),
    pytest.param(
        {"retryDelay": "5m", **BACKOFF},
        datetime(2026, 3, 8, 7, tzinfo=NEW_YORK_WINTER),
        [493, 1082, 2168, 3709, 7708, 16853],
        id="a logical date given in another zone hashes as the UTC instant Airflow stores",
    ),
    pytest.param(
        {"retryDelay": "5m", "maxRetryDelay": "30m", **BACKOFF},
        LOGICAL_DATE,
        [577, 641, 1800, 1800, 1800, 1800],
        id="maxRetryDelay caps the backoff",
    ),
    pytest.param(
        {"retryDelay": "1h", **BACKOFF},
        LOGICAL_DATE,
        [4177, 12041, 15231, 45565, 86400, 86400],
        id="the backoff never exceeds 24 h",
    ),
    pytest.param(
        {"retryDelay": "1h", "maxRetryDelay": "48h", **BACKOFF},
        LOGICAL_DATE,
        [4177, 12041, 15231, 45565, 86400, 86400],
        id="a maxRetryDelay over 24 h does not lift the ceiling",
    ),
    pytest.param(
        {"retryDelay": "0s", **BACKOFF},
        LOGICAL_DATE,
        [1] * 6,
        id="backoff from a zero retryDelay waits Airflow's floor of 1 s",
    ),
    pytest.param(
        {"retryDelay": "5m", "maxRetryDelay": "0s", **BACKOFF},
        LOGICAL_DATE,
        [577, 641, 2031, 4765, 7088, 16073],
        id="a zero maxRetryDelay caps nothing, as in Airflow",
    ),
]


@pytest.mark.parametrize(("settings", "logical_date", "seconds"), DELAYS)
def test_retry_delay(settings: dict[str, Any], logical_date: datetime, seconds: list[int]) -> None:
    got = [
        retry_delay(
            policy(**settings),
            dag_name="tutorial",
            task_name="print-date",
            logical_date=logical_date,
            failed_try=failed_try,
        )
        for failed_try in range(1, 7)
    ]
    assert got == [timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize(("settings", "logical_date", "seconds"), DELAYS)
def test_the_known_values_are_airflows(
    settings: dict[str, Any], logical_date: datetime, seconds: list[int]
) -> None:
    airflow = [
        airflow_retry_delay(settings, "tutorial", "print-date", logical_date, failed + 1)
        for failed in range(1, 7)
    ]
    assert airflow == seconds


@pytest.mark.parametrize(
    ("settings", "try_number", "max_tries", "exit_code", "expected"),
    [
        pytest.param({"retries": 2}, 1, 3, 1, True, id="a first failure with retries left"),
        pytest.param({"retries": 2}, 2, 3, 1, True, id="a second failure with one retry left"),
        pytest.param({"retries": 2}, 3, 3, 1, False, id="the last try's failure is final"),
        pytest.param({}, 1, 1, 1, False, id="a task without retries fails at once"),
        pytest.param(
            {"retries": 1}, 1, 2, None, True, id="a try killed without exit code is retried"
        ),
        pytest.param(
            {"retries": 3, "retryOnExitCodes": [75]},
            1,
            4,
            75,
            True,
            id="an exit code in retryOnExitCodes is retried",
        ),
        pytest.param(
            {"retries": 3, "retryOnExitCodes": [75]},
            1,
            4,
            1,
            False,
            id="an exit code not in retryOnExitCodes is final",
        ),
        pytest.param(
            {"retries": 3, "retryOnExitCodes": [75]},
            1,
            4,
            None,
            False,
            id="with retryOnExitCodes, a kill or timeout (no exit code) is final",
        ),
        pytest.param(
            {"retries": 1, "retryOnExitCodes": [75]},
            2,
            2,
            75,
            False,
            id="retryOnExitCodes does not add tries",
        ),
        pytest.param(
            {"retries": 3, "retryOnExitCodes": []},
            1,
            4,
            75,
            False,
            id="an empty retryOnExitCodes retries nothing",
        ),
    ],
)
def test_may_retry(
    settings: dict[str, Any], try_number: int, max_tries: int, exit_code: int | None, expected: bool
) -> None:
    assert may_retry(policy(**settings), try_number, max_tries, exit_code) is expected
