"""A Backfill's plan in a bounded form: the dates come again from the schedule copied
at the start, only the stretches of dates that get no new run are written down, and a
cursor says where the Backfill is. The status stays small whatever the range."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import pytest

from kairflow.api import DagRunState, DAGSpec, Reprocess
from kairflow.api.backfill import BackfillPlan, BackfillStatus
from kairflow.core.backfill import BackfillAction, BackfillError, backfill_range
from kairflow.core.backfill_plan import (
    MAX_EXCEPTIONS,
    DatePlan,
    PlanCounts,
    Schedule,
    Stretch,
    from_status,
    make_plan,
    to_status,
)
from kairflow.core.backfill_progress import begin
from kairflow.core.run_info import DagRunInfo, TimeRestriction, Timetable

CREATE, CLEAR = BackfillAction.CREATE, BackfillAction.CLEAR
S = DagRunState
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], "startDate": "2020-01-01", **fields})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def short(moment: datetime) -> str:
    return moment.strftime("%m-%d %H:%M")


def status_of(plan: DatePlan, runs: int, dates: int) -> BackfillStatus:
    status = BackfillStatus()
    first = next(plan.items(), None)
    counts = PlanCounts(dates, runs, None if first is None else first.logical_date)
    begin(status, plan, counts, 1, NOW)
    return status


def size(status: BackfillStatus) -> int:
    return len(json.dumps(status.to_wire()))


def test_a_plan_of_20000_hourly_dates_keeps_a_small_status() -> None:
    spec = dag_spec(schedule="@hourly")
    # 2024-01-01T00:00 to 2026-04-13T07:00: 20,000 hourly logical dates.
    plan, counts = make_plan(spec, at("2024-01-01"), at("2026-04-13T07:00"), {})
    assert (counts.dates, counts.runs, counts.first) == (20_000, 20_000, at("2024-01-01"))
    status = BackfillStatus()
    begin(status, plan, counts, 1, NOW)
    assert size(status) < 16 * 1024, status.to_wire()
    assert (status.total, status.remaining, status.created) == (20_000, 20_000, 0)
    assert status.next_logical_date == "2024-01-01T00:00:00+00:00"
    # The status alone lists the dates again, lazily: from a cursor far in, the next
    # few dates cost a few steps of the schedule.
    again = from_status(BackfillStatus.model_validate(status.to_wire()).plan)  # type: ignore[arg-type]
    ahead = [short(i.logical_date) for i in islice(again.items(at("2026-04-13T05:00")), 5)]
    assert ahead == ["04-13 05:00", "04-13 06:00", "04-13 07:00"]


HISTORY = {  # The scheduler's runs of January 2nd to 6th.
    at("2026-01-02"): S.SUCCESS,
    at("2026-01-03"): S.FAILED,
    at("2026-01-04"): S.SUCCESS,
    at("2026-01-05"): S.SUCCESS,
    at("2026-01-06"): S.RUNNING,
}


@pytest.mark.parametrize(
    ("reprocess", "clear", "skip", "runs"),
    [
        pytest.param(
            Reprocess.NONE,
            [],
            ["2026-01-02T00:00:00+00:00/2026-01-06T00:00:00+00:00"],
            3,
            id="reprocess none keeps the whole history as one stretch",
        ),
        pytest.param(
            Reprocess.FAILED,
            ["2026-01-03T00:00:00+00:00"],
            [
                "2026-01-02T00:00:00+00:00",
                "2026-01-04T00:00:00+00:00/2026-01-06T00:00:00+00:00",
            ],
            4,
            id="reprocess failed clears the failed run and keeps the stretches around it",
        ),
        pytest.param(
            Reprocess.COMPLETED,
            ["2026-01-02T00:00:00+00:00/2026-01-05T00:00:00+00:00"],
            ["2026-01-06T00:00:00+00:00"],
            7,
            id="reprocess completed clears every finished run and keeps the one in flight",
        ),
    ],
)
def test_only_the_dates_that_get_no_new_run_are_written_down(
    reprocess: Reprocess, clear: list[str], skip: list[str], runs: int
) -> None:
    spec = dag_spec(schedule="@daily")
    plan, counts = make_plan(spec, at("2026-01-01"), at("2026-01-08"), HISTORY, reprocess)
    written = to_status(plan)
    assert (written.clear, written.skip) == (clear, skip)
    assert (counts.dates, counts.runs) == (8, runs)
    assert from_status(written) == plan


def items(plan: DatePlan, cursor: str | None = None) -> list[str]:
    start = None if cursor is None else at(cursor)
    return [f"{i.logical_date:%m-%d} {i.action.value}" for i in plan.items(start)]


DAILY = Schedule("@daily")
KEEP_2_TO_4 = Stretch(at("2026-01-02"), at("2026-01-04"), None)
CLEAR_6 = Stretch(at("2026-01-06"), at("2026-01-06"), CLEAR)
WEEK = (at("2026-01-01"), at("2026-01-07"))


@pytest.mark.parametrize(
    ("plan", "cursor", "expected"),
    [
        pytest.param(
            DatePlan(DAILY, *WEEK, exceptions=(KEEP_2_TO_4, CLEAR_6)),
            None,
            ["01-01 create", "01-05 create", "01-06 clear", "01-07 create"],
            id="oldest first, the dates whose runs are kept are jumped over",
        ),
        pytest.param(
            DatePlan(DAILY, *WEEK, backwards=True, exceptions=(KEEP_2_TO_4, CLEAR_6)),
            None,
            ["01-07 create", "01-06 clear", "01-05 create", "01-01 create"],
            id="newest first, the same dates the other way round",
        ),
        pytest.param(
            DatePlan(DAILY, *WEEK, exceptions=(KEEP_2_TO_4, CLEAR_6)),
            "2026-01-06",
            ["01-06 clear", "01-07 create"],
            id="from the cursor on",
        ),
        pytest.param(
            DatePlan(DAILY, *WEEK, backwards=True, exceptions=(KEEP_2_TO_4,)),
            "2026-01-05",
            ["01-05 create", "01-01 create"],
            id="backwards from the cursor on",
        ),
        pytest.param(
            DatePlan(DAILY, *WEEK, exceptions=(Stretch(at("2026-01-05"), WEEK[1], None),)),
            "2026-01-04",
            ["01-04 create"],
            id="a kept stretch at the end ends the plan",
        ),
        pytest.param(
            DatePlan(Schedule("@once"), *WEEK),
            None,
            ["01-01 create"],
            id="@once: one date, at the start of the range",
        ),
        pytest.param(
            DatePlan(Schedule("@once"), *WEEK, backwards=True),
            None,
            ["01-01 create"],
            id="@once backwards: the same one date",
        ),
    ],
)
def test_the_runs_to_start_from_a_cursor(
    plan: DatePlan, cursor: str | None, expected: list[str]
) -> None:
    assert items(plan, cursor) == expected


def airflows_way(timetable: Timetable, start: datetime, end: datetime) -> list[DagRunInfo]:
    """Every date of the range, one step after the other from its start, as Airflow's
    `iter_dagrun_infos_between` (the reference for the plan's shortcuts)."""
    restriction = TimeRestriction(earliest=start, latest=end, catchup=True)
    out: list[DagRunInfo] = []
    while True:
        last = out[-1].data_interval if out else None
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction, now=start
        )
        if info is None or (out and info.logical_date <= out[-1].logical_date):
            return out
        out.append(info)


@pytest.mark.parametrize(
    ("fields", "start", "end"),
    [
        pytest.param({"schedule": "@hourly"}, "2026-03-07", "2026-03-10", id="hourly, UTC"),
        pytest.param(
            {"schedule": "30 * * * *", "timezone": "America/New_York"},
            "2026-03-07",
            "2026-03-10",
            id="hourly in New York across spring-forward",
        ),
        pytest.param(
            {"schedule": "0 1 * * *", "timezone": "Europe/Berlin"},
            "2025-10-01",
            "2025-11-30",
            id="daily at 01:00 in Berlin across fall-back",
        ),
        pytest.param({"schedule": "90m"}, "2026-01-01T00:17", "2026-01-04", id="every 90 minutes"),
        pytest.param({"schedule": "@monthly"}, "2020-01-01", "2026-01-01", id="monthly, six years"),
        pytest.param(
            {"schedule": "0 */6 * * *", "timetable": "trigger", "triggerInterval": "6h"},
            "2026-01-01",
            "2026-01-09",
            id="a trigger timetable with an interval",
        ),
    ],
)
def test_the_plan_lists_the_schedules_dates_in_either_order_from_any_cursor(
    fields: dict[str, Any], start: str, end: str
) -> None:
    spec = dag_spec(**fields)
    span = backfill_range(spec, at(start), at(end))
    every = airflows_way(span.timetable, span.start, span.end)
    assert len(every) > 10
    for backwards in (False, True):
        made, _ = make_plan(spec, at(start), at(end), {}, run_backwards=backwards)
        plan = from_status(BackfillPlan.model_validate(to_status(made).to_wire()))
        assert plan == made  # the status gives the same plan back
        expected = every[::-1] if backwards else every
        assert list(plan.dates()) == expected
        for index in (1, len(expected) // 2, len(expected) - 1):
            assert list(plan.dates(expected[index].logical_date)) == expected[index:]


def alternating(days: int) -> dict[datetime, DagRunState]:
    """A run every day, failed every other day."""
    return {
        at("2024-01-01") + timedelta(days=d): S.FAILED if d % 2 else S.SUCCESS for d in range(days)
    }


def test_a_plan_with_too_many_stretches_is_refused_saying_what_to_do() -> None:
    spec = dag_spec(schedule="@daily")
    days = MAX_EXCEPTIONS + 1  # as many stretches: kept, cleared, kept, ...
    history = alternating(days)
    end = at("2024-01-01") + timedelta(days=days - 1)
    with pytest.raises(BackfillError) as refused:
        make_plan(spec, at("2024-01-01"), end, history, Reprocess.FAILED)
    assert str(refused.value).startswith(
        f"the plan has {days} separate stretches of dates whose runs exist "
        f"(250 to clear, 251 to keep); a Backfill keeps at most {MAX_EXCEPTIONS}: "
        "split the range into several Backfills"
    )
    # One day fewer fits, and even then the status is bounded.
    plan, counts = make_plan(
        spec, at("2024-01-01"), end - timedelta(days=1), history, Reprocess.FAILED
    )
    assert len(plan.exceptions) == MAX_EXCEPTIONS
    assert size(status_of(plan, counts.runs, counts.dates)) < 32 * 1024
