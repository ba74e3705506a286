"""`kairflow backfill list|get`: a Backfill's progress and pending dates in words."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.cli.backfill_show import pending_words, progress_words, state_of


@pytest.mark.parametrize(
    ("status", "state", "progress"),
    [
        pytest.param({}, "pending", "not planned yet", id="a new backfill is not planned yet"),
        pytest.param(
            {"state": "running", "total": 5, "created": 3, "succeeded": 2, "failed": 0},
            "running",
            "3/5 created, 2 succeeded, 0 failed",
            id="a running backfill counts what it created against its total",
        ),
        pytest.param(
            {"state": "completed", "total": 3, "created": 3, "succeeded": 2, "failed": 1},
            "completed",
            "3/3 created, 2 succeeded, 1 failed",
            id="a completed backfill with a failed run",
        ),
        pytest.param(
            {"state": "failed", "total": 0, "message": "cannot backfill backwards"},
            "failed",
            "0/0 created, 0 succeeded, 0 failed",
            id="a refused backfill made nothing",
        ),
    ],
)
def test_state_and_progress(status: dict[str, Any], state: str, progress: str) -> None:
    assert state_of(status) == state
    assert progress_words(status) == progress


def day(n: int) -> str:
    return f"2024-01-{n:02d}T00:00:00+00:00"


def status(remaining: int, next_day: int | None, **plan: Any) -> dict[str, Any]:
    """A running Backfill of a @daily DAG over January 1st to 8th."""
    return {
        "remaining": remaining,
        "nextLogicalDate": None if next_day is None else day(next_day),
        "plan": {"schedule": "@daily", "from": day(1), "to": day(8), **plan},
    }


@pytest.mark.parametrize(
    ("backfill", "words"),
    [
        pytest.param({}, "none", id="a backfill not planned yet has nothing listed"),
        pytest.param(status(0, None), "none", id="nothing left to start"),
        pytest.param(
            status(2, 7, clear=[day(8)]),
            f"2: {day(7)} (create), {day(8)} (clear)",
            id="a few dates are all shown with their action",
        ),
        pytest.param(
            status(8, 1),
            "8: " + ", ".join(f"{day(n)} (create)" for n in range(1, 4)) + ", and 5 more",
            id="many dates: the first three and how many more",
        ),
        pytest.param(
            status(3, 8, backwards=True, skip=[f"{day(3)}/{day(6)}"]),
            f"3: {day(8)} (create), {day(7)} (create), {day(2)} (create)",
            id="backwards, the dates whose runs are kept are passed over",
        ),
    ],
)
def test_pending_dates(backfill: dict[str, Any], words: str) -> None:
    assert pending_words(backfill) == words
