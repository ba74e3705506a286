"""A task's end time from a pod whose finishedAt Kubernetes keeps in whole seconds:
never before the true end (so a retry never comes before its delay), at most 1 s
after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.core.pod_outcomes import ended_at
from kairflow.core.run_model import ObservedPod, PodPhase

T = datetime(2026, 11, 21, 6, 49, 47, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("finished", "now", "expected"),
    [
        (T, T + 0.4 * S, T + 0.4 * S),  # seen within its second: the sighting bounds it
        (T, T + 5 * S, T + S),  # seen late (e.g. after a restart): the second's end
        (T, T - 2 * S, T),  # the node's clock runs ahead of ours: not before finishedAt
        (T + 0.25 * S, T + 3 * S, T + 0.25 * S),  # a precise time is taken as it is
        (None, T + 2 * S, T + 2 * S),  # no finish time at all: when it was seen
    ],
)
def test_the_end_time_is_never_before_the_true_end(
    finished: datetime | None, now: datetime, expected: datetime
) -> None:
    pod = ObservedPod("p", PodPhase.FAILED, exit_code=1, finished_at=finished)
    assert ended_at(pod, now) == expected
