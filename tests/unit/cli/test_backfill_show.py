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


def entry(day: int, action: str = "create") -> dict[str, str]:
    return {"logicalDate": f"2024-01-{day:02d}T00:00:00+00:00", "action": action}


@pytest.mark.parametrize(
    ("pending", "words"),
    [
        pytest.param([], "none", id="nothing left to start"),
        pytest.param(
            [entry(1), entry(2, "clear")],
            "2: 2024-01-01T00:00:00+00:00 (create), 2024-01-02T00:00:00+00:00 (clear)",
            id="a few dates are all shown with their action",
        ),
        pytest.param(
            [entry(day) for day in range(1, 9)],
            "8: "
            + ", ".join(f"2024-01-0{day}T00:00:00+00:00 (create)" for day in range(1, 4))
            + ", and 5 more",
            id="many dates: the first three and how many more",
        ),
    ],
)
def test_pending_dates(pending: list[dict[str, str]], words: str) -> None:
    assert pending_words(pending) == words
