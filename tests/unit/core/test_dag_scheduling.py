"""The scheduler's pass over one DAG: the runs it creates, its bookmark, the run it
shows as next and when it looks again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kairflow.api.dagrun import RunType
from kairflow.core.dag_scheduling import plan_schedule
from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.run_info import DataInterval
from tests.unit.core.observed import NS, QUEUED, RUNNING, SUCCESS, at, dag, interval, run, spec

NOW = at("2026-01-04T01:00")


def daily(**fields: Any) -> ObservedDag:
    """@daily from 2026-01-01 (UTC unless told), catchup on."""
    fields.setdefault("schedule", "@daily")
    fields.setdefault("start_date", "2026-01-01")
    return dag(**fields)


def dates(*texts: str) -> list[datetime]:
    return [at(text) for text in texts]


@pytest.mark.parametrize(
    ("the_dag", "runs", "bookmark", "now", "created", "last", "active"),
    [
        pytest.param(
            daily(),
            [],
            None,
            NOW,
            dates("2026-01-01", "2026-01-02", "2026-01-03"),
            interval("2026-01-03", "2026-01-04"),
            3,
            id="a daily DAG with catchup creates every missed run, oldest first",
        ),
        pytest.param(
            daily(max_active_runs=2),
            [],
            None,
            NOW,
            dates("2026-01-01", "2026-01-02"),
            interval("2026-01-02", "2026-01-03"),
            2,
            id="maxActiveRuns caps the runs one pass creates",
        ),
        pytest.param(
            daily(max_active_runs=2),
            [run("m", state=RUNNING, logical="2025-12-25")],
            None,
            NOW,
            dates("2026-01-01"),
            interval("2026-01-01", "2026-01-02"),
            2,
            id="a running manual run takes a place among maxActiveRuns",
        ),
        pytest.param(
            daily(max_active_runs=2),
            [run("q", state=QUEUED, logical="2025-12-25"), run("new", created="2026-01-03")],
            None,
            NOW,
            [],
            None,
            2,
            id="queued runs and runs not synced yet take places too",
        ),
        pytest.param(
            daily(max_active_runs=1),
            [run("m", state=SUCCESS, logical="2025-12-25")],
            None,
            NOW,
            dates("2026-01-01"),
            interval("2026-01-01", "2026-01-02"),
            1,
            id="finished runs take no place",
        ),
        pytest.param(
            daily(),
            [run("m", state=SUCCESS, logical="2026-01-02")],
            None,
            NOW,
            dates("2026-01-01", "2026-01-03"),
            interval("2026-01-03", "2026-01-04"),
            2,
            id="a date that has a manual run gets no scheduled one, and the scheduler moves on",
        ),
        pytest.param(
            daily(timezone="Asia/Seoul"),
            [run("m", requested="2026-01-02T00:00")],
            None,
            at("2026-01-03T16:00"),
            dates("2025-12-31T15:00", "2026-01-02T15:00"),
            interval("2026-01-02T15:00", "2026-01-03T15:00"),
            3,
            id="a naive requested date is read in the DAG's zone: that day gets no scheduled run",
        ),
        pytest.param(
            daily(),
            [],
            interval("2026-01-01", "2026-01-02"),
            NOW,
            dates("2026-01-02", "2026-01-03"),
            interval("2026-01-03", "2026-01-04"),
            2,
            id="the bookmark of a deleted run keeps the scheduler from creating it again",
        ),
        pytest.param(
            daily(),
            [
                run(
                    "s",
                    run_type=RunType.SCHEDULED,
                    requested="2026-01-01T00:00+00:00",
                    requested_interval=("2026-01-01T00:00+00:00", "2026-01-02T00:00+00:00"),
                )
            ],
            None,
            NOW,
            dates("2026-01-02", "2026-01-03"),
            interval("2026-01-03", "2026-01-04"),
            3,
            id="a scheduled run created but not synced yet is not created again",
        ),
        pytest.param(
            daily(),
            [
                run(
                    "b",
                    state=SUCCESS,
                    run_type=RunType.BACKFILL,
                    logical="2026-01-02",
                    data_interval=("2026-01-02", "2026-01-03"),
                )
            ],
            None,
            NOW,
            dates("2026-01-03"),
            interval("2026-01-03", "2026-01-04"),
            1,
            id="a backfill run moves the scheduler past its interval, as in Airflow",
        ),
        pytest.param(
            daily(catchup=False),
            [],
            None,
            NOW,
            dates("2026-01-03"),
            interval("2026-01-03", "2026-01-04"),
            1,
            id="without catchup only the latest interval runs",
        ),
        pytest.param(
            daily(paused=True),
            [run("m", state=RUNNING, logical="2025-12-25")],
            None,
            NOW,
            [],
            None,
            1,
            id="a paused DAG creates no run",
        ),
        pytest.param(
            dag(),
            [run("m", state=QUEUED, logical="2025-12-25")],
            None,
            NOW,
            [],
            None,
            1,
            id="a DAG without a schedule creates no run",
        ),
    ],
)
def test_runs_created(
    the_dag: ObservedDag,
    runs: list[ObservedRun],
    bookmark: DataInterval | None,
    now: datetime,
    created: list[datetime],
    last: DataInterval | None,
    active: int,
) -> None:
    plan = plan_schedule(the_dag, runs, bookmark, now)
    assert [info.logical_date for info in plan.create] == created
    assert plan.last_automated == last
    assert plan.active_runs == active


@pytest.mark.parametrize(
    ("the_dag", "bookmark", "next_logical", "wake_at"),
    [
        pytest.param(
            daily(),
            None,
            at("2026-01-04"),
            at("2026-01-05"),
            id="an active DAG shows the next run and wakes when it is due",
        ),
        pytest.param(
            daily(max_active_runs=1),
            None,
            at("2026-01-04"),
            at("2026-01-05"),
            id="an active DAG at maxActiveRuns shows its next future run, not the one waiting "
            "for a place (a run that finishes wakes the DAG for that one)",
        ),
        pytest.param(
            daily(paused=True),
            None,
            at("2026-01-01"),
            None,
            id="a paused DAG never wakes and shows the overdue run unpausing would create first",
        ),
        pytest.param(
            daily(paused=True),
            interval("2026-01-03", "2026-01-04"),
            at("2026-01-04"),
            None,
            id="a paused DAG with nothing overdue shows its upcoming run",
        ),
        pytest.param(
            daily(end_date="2026-01-02"),
            None,
            None,
            None,
            id="a DAG past its end date shows no next run and never wakes",
        ),
        pytest.param(dag(), None, None, None, id="a DAG without a schedule never wakes"),
    ],
)
def test_next_run_and_wake_up(
    the_dag: ObservedDag,
    bookmark: DataInterval | None,
    next_logical: datetime | None,
    wake_at: datetime | None,
) -> None:
    plan = plan_schedule(the_dag, [], bookmark, NOW)
    assert (plan.next_run.logical_date if plan.next_run else None) == next_logical
    assert plan.wake_at == wake_at


def test_an_invalid_dag_is_not_planned() -> None:
    invalid = ObservedDag(NS, "etl", spec(schedule="@daily"), problems=("bad",))
    with pytest.raises(AssertionError):
        plan_schedule(invalid, [], None, NOW)
