"""Which queued runs may start: maxActiveRuns, oldest logical date first, paused
DAGs, and backfill runs (metered by their Backfill, not by the DAG)."""

from __future__ import annotations

import pytest

from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.run_admission import may_start
from tests.unit.core.observed import FAILED, QUEUED, RUNNING, SUCCESS, dag, run

ONE = dag(max_active_runs=1)
TWO = dag(max_active_runs=2)
ME = run("me", state=QUEUED, logical="2026-01-05")


@pytest.mark.parametrize(
    ("the_dag", "me", "siblings", "starts"),
    [
        pytest.param(ONE, ME, [], True, id="a queued run starts when no other run is active"),
        pytest.param(
            TWO,
            ME,
            [run("a", state=RUNNING, logical="2026-01-01")],
            True,
            id="a queued run starts while fewer than maxActiveRuns runs are running",
        ),
        pytest.param(
            TWO,
            ME,
            [
                run("a", state=RUNNING, logical="2026-01-01"),
                run("b", state=RUNNING, logical="2026-01-02"),
            ],
            False,
            id="a queued run waits while maxActiveRuns runs are running",
        ),
        pytest.param(
            ONE,
            ME,
            [run("later", state=RUNNING, logical="2026-01-09")],
            False,
            id="a running run takes a place even when its logical date is later",
        ),
        pytest.param(
            ONE,
            ME,
            [
                run("a", state=SUCCESS, logical="2026-01-01"),
                run("b", state=FAILED, logical="2026-01-02"),
            ],
            True,
            id="finished runs take no place",
        ),
        pytest.param(
            ONE,
            ME,
            [run("older", state=QUEUED, logical="2026-01-04")],
            False,
            id="the oldest queued run starts first: a newer one waits",
        ),
        pytest.param(
            ONE,
            ME,
            [run("newer", state=QUEUED, logical="2026-01-06")],
            True,
            id="the oldest queued run starts first: a newer queued run does not hold it back",
        ),
        pytest.param(
            ONE,
            ME,
            [run("older", logical="2026-01-04")],
            False,
            id="an older run not synced yet (no state) queues ahead like a queued one",
        ),
        pytest.param(
            TWO,
            ME,
            [
                run("a", state=RUNNING, logical="2026-01-01"),
                run("older", state=QUEUED, logical="2026-01-04"),
            ],
            False,
            id="running runs and older queued runs add up against maxActiveRuns",
        ),
        pytest.param(
            ONE,
            run("b", state=QUEUED, logical="2026-01-05"),
            [run("a", state=QUEUED, logical="2026-01-05")],
            False,
            id="runs on the same logical date start in name order: b waits for a",
        ),
        pytest.param(
            ONE,
            run("a", state=QUEUED, logical="2026-01-05"),
            [run("b", state=QUEUED, logical="2026-01-05")],
            True,
            id="runs on the same logical date start in name order: a goes first",
        ),
        pytest.param(
            ONE,
            run("me", state=RUNNING, logical="2026-01-05"),
            [run("me", state=RUNNING, logical="2026-01-05")],
            True,
            id="the run itself is not counted among its siblings (its own place is no obstacle)",
        ),
        pytest.param(
            dag(max_active_runs=1, timezone="Asia/Seoul"),
            run("me", requested="2026-03-02T08:00"),
            [run("other", state=QUEUED, logical="2026-03-01T23:30")],
            True,
            id="a naive requested date is read in the DAG's zone (08:00 in Seoul is 23:00 UTC)",
        ),
        pytest.param(
            dag(max_active_runs=1, timezone="Asia/Seoul"),
            run("me", state=QUEUED, logical="2026-03-01T23:30"),
            [run("other", requested="2026-03-02T08:00")],
            False,
            id="a sibling's naive requested date is read in the DAG's zone too",
        ),
        pytest.param(
            ONE,
            run("me", created="2026-01-05T10:00"),
            [run("other", created="2026-01-05T09:00")],
            False,
            id="a run that asks for no date queues by its creation time",
        ),
        pytest.param(
            ONE,
            ME,
            [run("undated", state=QUEUED)],
            True,
            id="a run without any date queues last",
        ),
        pytest.param(
            ONE,
            run("undated", state=QUEUED),
            [run("dated", state=QUEUED, logical="2030-01-01")],
            False,
            id="a run without any date waits behind every dated run",
        ),
        pytest.param(
            dag(paused=True),
            ME,
            [],
            False,
            id="a paused DAG starts no run",
        ),
        pytest.param(
            dag(paused=True),
            run("me", state=QUEUED, logical="2026-01-05", run_type=RunType.BACKFILL),
            [],
            True,
            id="a backfill run starts on a paused DAG",
        ),
        pytest.param(
            ONE,
            run("me", state=QUEUED, logical="2026-01-05", run_type=RunType.BACKFILL),
            [run("a", state=RUNNING, logical="2026-01-01")],
            True,
            id="a backfill run is metered by its Backfill, not by the DAG's maxActiveRuns",
        ),
        pytest.param(
            dag(paused=True, max_active_runs=1),
            run("me", state=QUEUED, logical="2026-01-05", backfill="redo"),
            [run("a", state=RUNNING, logical="2026-01-01")],
            True,
            id="a scheduled run a Backfill cleared starts like a backfill run",
        ),
        pytest.param(None, ME, [], False, id="a run whose DAG is not there does not start"),
    ],
)
def test_may_start(
    the_dag: ObservedDag | None, me: ObservedRun, siblings: list[ObservedRun], starts: bool
) -> None:
    assert may_start(me, the_dag, siblings) is starts
