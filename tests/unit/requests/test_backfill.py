"""A backfill as the CLI and the web UI both read it: the request from what was typed
(errors naming the field the user typed in), the plan from the cluster's objects as
the operator reads them, and what stopping one leaves behind."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kairflow.requests.backfill import (
    BackfillRequest,
    Fields,
    made_by,
    nothing_to_make,
    plan_for,
    plan_words,
    stopped_words,
)
from kairflow.requests.errors import RequestError

UI = Fields("from", "to", "reprocess", "maxActiveRuns", "name")


def dag(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "etl", "namespace": "ns"},
        "spec": {"schedule": "@daily", "startDate": "2020-01-01", "tasks": [{"name": "t"}], **spec},
    }


def run(name: str, day: str, state: str, dag_name: str = "etl", **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", **meta},
        "spec": {"dagName": dag_name, "runType": "scheduled"},
        "status": {"state": state, "logicalDate": f"{day}T00:00:00+00:00"},
    }


def read(start: str, end: str, **fields: Any) -> BackfillRequest:
    return BackfillRequest.read("etl", start, end, fields=UI, **fields)


@pytest.mark.parametrize(
    ("start", "end", "fields", "message"),
    [
        pytest.param(
            "soon",
            "2024-01-02",
            {},
            "from: invalid date 'soon'",
            id="a date that is not one names the field",
        ),
        pytest.param(
            "2024-01-03",
            "2024-01-01",
            {},
            "from 2024-01-03T00:00:00 is after to",
            id="from after to",
        ),
        pytest.param(
            "2024-01-01",
            "2024-01-02",
            {"reprocess": "all"},
            "reprocess: 'all' is not one of none, failed, completed",
            id="a reprocess behavior Airflow does not have",
        ),
        pytest.param(
            "2024-01-01",
            "2024-01-02",
            {"max_active_runs": 0},
            "maxActiveRuns: must be at least 1, got 0",
            id="zero runs at once",
        ),
    ],
)
def test_a_request_that_cannot_be_read_names_the_field(
    start: str, end: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(RequestError, match=f"^{re.escape(message)}"):
        read(start, end, **fields)


def test_a_request_read_from_a_form_keeps_every_option() -> None:
    asked = read(
        "2024-01-01", "2024-01-03", reprocess="failed", max_active_runs="2", run_backwards=True
    )
    assert asked.manifest(asked.name())["spec"] == {
        "dagName": "etl",
        "from": "2024-01-01",
        "to": "2024-01-03",
        "reprocess": "failed",
        "maxActiveRuns": 2,
        "runBackwards": True,
    }
    assert asked.name() == "etl-20240101-20240103"


def test_a_name_kubernetes_refuses_is_refused_first() -> None:
    with pytest.raises(RequestError, match=r"^name: 'Bad_Name' is not a valid name"):
        read("2024-01-01", "2024-01-02").name("Bad_Name", UI.name)


RUNS = [
    run("etl-2", "2024-01-02", "success"),
    run("etl-3", "2024-01-03", "failed"),
    run("other-3", "2024-01-03", "running", dag_name="other"),
]


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        pytest.param(
            read("2024-01-01", "2024-01-03"),
            [("2024-01-01", "create"), ("2024-01-02", "skip"), ("2024-01-03", "skip")],
            id="the DAG's own runs are kept by default and another DAG's do not count",
        ),
        pytest.param(
            read("2024-01-01", "2024-01-03", reprocess="failed", run_backwards=True),
            [("2024-01-03", "clear"), ("2024-01-02", "skip"), ("2024-01-01", "create")],
            id="rerunning failed runs backwards clears the failed one, newest first",
        ),
    ],
)
def test_the_plan_reads_the_clusters_objects_as_the_operator_does(
    asked: BackfillRequest, expected: list[tuple[str, str]]
) -> None:
    _, plan = plan_for(dag(), RUNS, asked)
    assert [(p.logical_date.date().isoformat(), p.action) for p in plan] == expected


@pytest.mark.parametrize(
    ("dag_body", "asked", "limit", "message"),
    [
        pytest.param(
            dag(schedule="99 * * * *"),
            read("2024-01-01", "2024-01-02"),
            None,
            "DAG 'etl' is invalid: ",
            id="an invalid DAG",
        ),
        pytest.param(
            dag(schedule=None),
            read("2024-01-01", "2024-01-02"),
            None,
            "cannot backfill etl: nothing to backfill: the DAG has no schedule",
            id="a DAG without a schedule",
        ),
        pytest.param(
            dag(params={"rows": {"default": 3, "maximum": 9}}),
            read("2024-01-01", "2024-01-02", conf={"rows": 10}),
            None,
            "cannot backfill etl: conf 'rows' must be <= 9, not 10 (param rows: maximum 9)",
            id="a conf the DAG's params refuse",
        ),
        pytest.param(
            dag(schedule="@weekly"),
            read("2024-01-01", "2024-01-06"),
            None,
            "no logical dates between 2024-01-01 and 2024-01-06 on etl's schedule",
            id="a range without a date of the schedule",
        ),
        pytest.param(
            dag(schedule="* * * * *"),
            read("2024-01-01", "2024-12-31"),
            100,
            "cannot backfill etl: more than 100 logical dates between",
            id="a page's dry run stops at its limit",
        ),
    ],
)
def test_backfills_that_would_be_refused(
    dag_body: dict[str, Any], asked: BackfillRequest, limit: int | None, message: str
) -> None:
    with pytest.raises(RequestError, match=f"^{re.escape(message)}"):
        plan_for(dag_body, [], asked, limit)


def test_the_plan_in_words_and_when_there_is_nothing_to_make() -> None:
    observed, plan = plan_for(dag(maxActiveRuns=3), RUNS, read("2024-01-02", "2024-01-03"))
    assert plan_words("b", observed, read("2024-01-02", "2024-01-03"), plan) == (
        "backfill b of DAG etl: 0 runs (0 to create, 0 to clear, 2 skipped), oldest first, "
        "at most 3 at once; times in UTC"
    )
    assert nothing_to_make(plan, read("2024-01-02", "2024-01-03")) == (
        "nothing to backfill: all 2 logical dates have runs to keep (reprocess none)"
    )
    again = read("2024-01-02", "2024-01-03", reprocess="completed")
    _, rerun = plan_for(dag(), RUNS, again)
    assert nothing_to_make(rerun, again) is None


BACKFILL_RUNS = [
    run("b-2", "2024-01-02", "running", annotations={"kairflow.io/backfill": "b"}),
    run("b-1", "2024-01-01", "success", annotations={"kairflow.io/backfill": "b"}),
    run("c-1", "2024-01-01", "queued", annotations={"kairflow.io/backfill": "c"}),
]


@pytest.mark.parametrize(
    ("backfill", "made", "words"),
    [
        pytest.param(
            "b",
            ["b-1", "b-2"],
            "its 2 runs stay (1 still in flight; "
            "kubectl delete dagruns -l kairflow.io/backfill=b removes them)",
            id="stopping a backfill keeps its runs, by logical date, and counts those in flight",
        ),
        pytest.param("x", [], "it had made no runs", id="a backfill that made no runs yet"),
    ],
)
def test_what_stopping_a_backfill_leaves(backfill: str, made: list[str], words: str) -> None:
    mine = made_by(backfill, BACKFILL_RUNS)
    assert [r["metadata"]["name"] for r in mine] == made
    assert stopped_words(backfill, mine) == words
