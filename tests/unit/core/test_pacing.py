"""How soon a run is planned again after a pass (`core.pacing`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.core.pacing import next_pass_from

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("took", "slices", "waits"),
    [
        pytest.param(0.3, 0, None, id="a run kept in its own status is planned again at once"),
        pytest.param(4.0, 0, None, id="even when its pass was slow"),
        pytest.param(2.0, 16, 2.0, id="a run in 16 slices whose pass took 2 s waits 2 s"),
        pytest.param(0.05, 2, 0.05, id="a quick pass of a run in slices waits as little"),
        pytest.param(60.0, 16, 5.0, id="a pass that took a minute waits at most 5 s"),
        pytest.param(-1.0, 4, 0.0, id="a clock stepped back in the pass makes no wait"),
    ],
)
def test_how_long_a_run_waits_after_a_pass(took: float, slices: int, waits: float | None) -> None:
    ended = T0 + timedelta(seconds=took)
    expected = None if waits is None else ended + timedelta(seconds=waits)
    assert next_pass_from(T0, ended, slices) == expected
