"""`kairflow backfill create`, the parts without a cluster: its dates (naive ones in
the DAG's time zone, as the operator reads them), its default name, its conf and the
plan `--dry-run` prints (the operator's `plan_backfill`, with the skipped dates)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from kairflow.api import Backfill, DagRunState, DAGSpec, Reprocess
from kairflow.cli.errors import EXIT_USAGE, UserError
from kairflow.cli.run_conf import parse_conf
from kairflow.core.backfill import BackfillError
from kairflow.core.naming import backfill_name
from kairflow.requests.backfill import (
    BackfillRequest,
    check_order,
    dry_run,
    parse_date,
    parse_max_active_runs,
    parse_reprocess,
)
from kairflow.requests.errors import RequestError
from tests.cli import error_line, kairflow

KST = timezone(timedelta(hours=9))
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
S = DagRunState


def dag_spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "t"}], **fields})


def request(start: str, end: str, **fields: Any) -> BackfillRequest:
    return BackfillRequest(
        "etl", parse_date(start, "--from"), parse_date(end, "--to"), start, end, **fields
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2024-01-01", datetime(2024, 1, 1), id="a day is its midnight, naive"),
        pytest.param(
            "2024-01-01T06:30:00", datetime(2024, 1, 1, 6, 30), id="a time without offset is naive"
        ),
        pytest.param(
            "2024-01-01T06:00:00+09:00",
            datetime(2024, 1, 1, 6, tzinfo=KST),
            id="an offset is kept",
        ),
        pytest.param("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC), id="Z is UTC"),
        pytest.param(" 2024-01-01 ", datetime(2024, 1, 1), id="spaces around are ignored"),
    ],
)
def test_dates_the_backfill_schema_accepts(text: str, expected: datetime) -> None:
    parsed = parse_date(text, "--from")
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2024/01/01", id="slashes are not ISO-8601"),
        pytest.param("20240101", id="a basic-format date the CRD's pattern refuses"),
        pytest.param("2024-02-30", id="a day that does not exist"),
        pytest.param("yesterday", id="words"),
        pytest.param("2024-01-01T06", id="an hour without minutes"),
    ],
)
def test_dates_the_schema_refuses_are_usage_errors(text: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_date(text, "--to")
    assert str(caught.value).startswith(f"--to: invalid date {text!r}")


def test_the_manifest_keeps_the_dates_as_written_so_the_operator_reads_them_alike() -> None:
    manifest = request("2024-01-01", "2024-01-03T00:00:00+09:00").manifest("x")
    assert manifest["spec"]["from"] == "2024-01-01"
    assert manifest["spec"]["to"] == "2024-01-03T00:00:00+09:00"
    spec = Backfill.model_validate(manifest).spec  # the operator's reading
    assert spec.from_date == datetime(2024, 1, 1)
    assert spec.to_date == datetime(2024, 1, 3, tzinfo=KST)


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        pytest.param("2024-01-03", "2024-01-01", True, id="two naive dates out of order"),
        pytest.param(
            "2024-01-02T00:00:00Z", "2024-01-01T23:00:00-02:00", False, id="aware ones in order"
        ),
        pytest.param(
            "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", True, id="aware ones out of order"
        ),
        pytest.param("2024-01-01", "2024-01-01", False, id="one day is a range"),
        pytest.param(
            "2024-01-02",
            "2024-01-01T00:00:00Z",
            False,
            id="naive against aware waits for the DAG's zone",
        ),
    ],
)
def test_from_after_to_is_refused_before_the_cluster(start: str, end: str, refused: bool) -> None:
    start_date, end_date = parse_date(start, "--from"), parse_date(end, "--to")
    if refused:
        with pytest.raises(RequestError, match="is after --to"):
            check_order(start_date, end_date)
    else:
        check_order(start_date, end_date)


# The default name -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dag", "start", "end", "expected"),
    [
        pytest.param(
            "etl", "2024-01-01", "2024-01-31", "etl-20240101-20240131", id="days read as written"
        ),
        pytest.param(
            "etl",
            "2024-01-01T06:00:00",
            "2024-01-02",
            "etl-20240101t060000-20240102",
            id="a time of day is in the name",
        ),
        pytest.param(
            "etl",
            "2024-01-01T09:00:00+09:00",
            "2024-01-02T00:00:00Z",
            "etl-20240101z-20240102z",
            id="aware dates are named in UTC, marked z, apart from naive ones",
        ),
        pytest.param(
            "etl",
            "2024-01-01T00:00:00.5",
            "2024-01-02",
            "etl-20240101t000000-500000-20240102",
            id="microseconds are kept",
        ),
    ],
)
def test_default_name(dag: str, start: str, end: str, expected: str) -> None:
    assert backfill_name(dag, parse_date(start, "f"), parse_date(end, "t")) == expected


def test_a_dag_name_too_long_for_the_name_is_cut_and_hashed_apart() -> None:
    day, next_day = datetime(2024, 1, 1), datetime(2024, 1, 2)
    first = backfill_name("a" * 240 + "x", day, next_day)
    second = backfill_name("a" * 240 + "y", day, next_day)
    assert first != second
    for name in (first, second):
        assert len(name) <= 253 and DNS_SUBDOMAIN.fullmatch(name), name
        assert name.endswith("-20240101-20240102")


def test_the_same_dag_and_range_always_give_the_same_name() -> None:
    day = datetime(2024, 1, 1)
    assert backfill_name("etl", day, day) == backfill_name("etl", day, day)
    assert backfill_name("etl", day, day) != backfill_name("etl", day.replace(tzinfo=UTC), day)


# Other flags ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="no conf is no conf"),
        pytest.param('{"source": "archive"}', {"source": "archive"}, id="an inline JSON object"),
        pytest.param("{}", {}, id="an empty object"),
    ],
)
def test_conf(text: str | None, expected: dict[str, Any] | None) -> None:
    assert parse_conf(text) == expected


def test_conf_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "conf.json"
    path.write_text(json.dumps({"day": 1}))
    assert parse_conf(f"@{path}") == {"day": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[1, 2]", "--conf: must be a JSON object, got list", id="a list"),
        pytest.param('"x"', "--conf: must be a JSON object, got str", id="a string"),
        pytest.param("{source: x}", "--conf: not valid JSON", id="not JSON"),
        pytest.param(
            "@/nonexistent/conf.json",
            "--conf @/nonexistent/conf.json: cannot read",
            id="a missing file",
        ),
    ],
)
def test_conf_that_is_not_a_json_object_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_conf(text)
    assert caught.value.exit_code == EXIT_USAGE
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        pytest.param(
            parse_reprocess,
            "all",
            "--reprocess: 'all' is not one of none, failed, completed",
            id="reprocess all",
        ),
        pytest.param(
            parse_max_active_runs,
            "0",
            "--max-active-runs: must be at least 1, got 0",
            id="zero runs at once",
        ),
        pytest.param(
            parse_max_active_runs,
            "two",
            "--max-active-runs: 'two' is not a whole number",
            id="a word for a count",
        ),
    ],
)
def test_flags_out_of_range(parse: Any, text: str, message: str) -> None:
    with pytest.raises(RequestError, match=re.escape(message)):
        parse(text)


# The dry-run plan -------------------------------------------------------------------

DAILY = dag_spec(schedule="@daily", startDate="2020-01-01")
EXISTING = {
    utc("2024-01-02"): S.SUCCESS,
    utc("2024-01-03"): S.FAILED,
    utc("2024-01-04"): S.RUNNING,
}


def rows(plan: list[Any]) -> list[tuple[str, str, str]]:
    return [(p.logical_date.strftime("%m-%d %H:%M"), p.action, p.reason) for p in plan]


PLANS = [
    pytest.param(
        DAILY,
        request("2024-01-01", "2024-01-03"),
        {},
        [
            ("01-01 00:00", "create", "no run yet"),
            ("01-02 00:00", "create", "no run yet"),
            ("01-03 00:00", "create", "no run yet"),
        ],
        id="every day from the first to the last, both included",
    ),
    pytest.param(
        DAILY,
        request("2024-01-01", "2024-01-05"),
        EXISTING,
        [
            ("01-01 00:00", "create", "no run yet"),
            ("01-02 00:00", "skip", "its run succeeded (reprocess none keeps existing runs)"),
            ("01-03 00:00", "skip", "its run failed (reprocess none keeps existing runs)"),
            ("01-04 00:00", "skip", "its run is running (runs in flight are never touched)"),
            ("01-05 00:00", "create", "no run yet"),
        ],
        id="dates with runs are skipped by default, and say why",
    ),
    pytest.param(
        DAILY,
        request("2024-01-01", "2024-01-05", reprocess=Reprocess.FAILED),
        EXISTING,
        [
            ("01-01 00:00", "create", "no run yet"),
            ("01-02 00:00", "skip", "its run succeeded (reprocess failed reruns failed runs only)"),
            ("01-03 00:00", "clear", "its run failed: run it again (reprocess failed)"),
            ("01-04 00:00", "skip", "its run is running (runs in flight are never touched)"),
            ("01-05 00:00", "create", "no run yet"),
        ],
        id="reprocess failed clears the failed run only",
    ),
    pytest.param(
        DAILY,
        request("2024-01-02", "2024-01-04", reprocess=Reprocess.COMPLETED, run_backwards=True),
        EXISTING,
        [
            ("01-04 00:00", "skip", "its run is running (runs in flight are never touched)"),
            ("01-03 00:00", "clear", "its run failed: run it again (reprocess completed)"),
            ("01-02 00:00", "clear", "its run succeeded: run it again (reprocess completed)"),
        ],
        id="backwards lists the newest date first, as the runs start",
    ),
    pytest.param(
        dag_spec(schedule="@daily", startDate="2020-01-01", timezone="Asia/Tokyo"),
        request("2024-01-01", "2024-01-02"),
        {},
        [
            ("12-31 15:00", "create", "no run yet"),
            ("01-01 15:00", "create", "no run yet"),
        ],
        id="naive dates are midnights in the DAG's zone (Tokyo is UTC+9)",
    ),
    pytest.param(
        dag_spec(schedule="@daily", startDate="2020-01-01", timezone="Asia/Tokyo"),
        request("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"),
        {},
        [("01-01 15:00", "create", "no run yet")],
        id="dates with an offset are instants, whatever the DAG's zone",
    ),
    pytest.param(
        dag_spec(schedule="@weekly", startDate="2020-01-01"),
        request("2024-01-01", "2024-01-06"),
        {},
        [],
        id="a range without a date of the schedule plans nothing",
    ),
]


@pytest.mark.parametrize(("spec", "asked", "existing", "expected"), PLANS)
def test_dry_run_plan(
    spec: DAGSpec,
    asked: BackfillRequest,
    existing: dict[datetime, DagRunState],
    expected: list[tuple[str, str, str]],
) -> None:
    assert rows(dry_run(spec, asked, existing)) == expected


def test_the_plan_carries_each_data_interval_in_its_json() -> None:
    (only,) = dry_run(DAILY, request("2024-01-01", "2024-01-01"), {})
    assert only.to_json() == {
        "logical_date": "2024-01-01T00:00:00+00:00",
        "data_interval_start": "2024-01-01T00:00:00+00:00",
        "data_interval_end": "2024-01-02T00:00:00+00:00",
        "action": "create",
        "reason": "no run yet",
    }


@pytest.mark.parametrize(
    ("spec", "asked", "message"),
    [
        pytest.param(
            dag_spec(schedule="@daily", startDate="2020-01-01", defaults={"dependsOnPast": True}),
            request("2024-01-01", "2024-01-03", run_backwards=True),
            "cannot backfill backwards: these tasks depend on their past run: t",
            id="backwards with dependsOnPast, as the core refuses it",
        ),
        pytest.param(
            DAILY,
            request("2024-01-02", "2024-01-01T00:00:00Z"),
            "from 2024-01-02T00:00:00+00:00 is after to 2024-01-01T00:00:00+00:00",
            id="from after to once read in the DAG's zone",
        ),
        pytest.param(
            dag_spec(),
            request("2024-01-01", "2024-01-03"),
            "nothing to backfill: the DAG has no schedule (manual runs only)",
            id="a DAG without a schedule",
        ),
    ],
)
def test_backfills_the_operator_refuses(
    spec: DAGSpec, asked: BackfillRequest, message: str
) -> None:
    with pytest.raises(BackfillError, match=re.escape(message)):
        dry_run(spec, asked, {})


def test_a_plan_the_operators_status_could_not_hold_is_refused_before_it_is_created() -> None:
    """A run every day for 501 days, failed every other day: rerunning the failed ones
    needs 501 separate stretches of dates whose runs exist (at most 500)."""
    first = datetime(2024, 1, 1, tzinfo=UTC)
    history = {
        first + timedelta(days=d): DagRunState.FAILED if d % 2 else DagRunState.SUCCESS
        for d in range(501)
    }
    asked = request(
        "2024-01-01", (first + timedelta(days=500)).isoformat(), reprocess=Reprocess.FAILED
    )
    with pytest.raises(BackfillError, match=r"^the plan has 501 separate stretches"):
        dry_run(DAILY, asked, history)


# Invalid input is refused before any cluster is read ---------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--from", "2024-01-03", "--to", "2024-01-01"],
            "error: --from 2024-01-03T00:00:00 is after --to 2024-01-01T00:00:00",
            id="from after to",
        ),
        pytest.param(
            ["--from", "2024-01-01", "--to", "soon"],
            "error: --to: invalid date 'soon'",
            id="a date that is not one",
        ),
        pytest.param(
            ["--from", "2024-01-01", "--to", "2024-01-02", "--conf", "[1]"],
            "error: --conf: must be a JSON object, got list",
            id="conf that is not an object",
        ),
        pytest.param(
            ["--from", "2024-01-01", "--to", "2024-01-02", "--name", "Bad_Name"],
            "error: --name: 'Bad_Name' is not a valid name",
            id="a name Kubernetes refuses",
        ),
        pytest.param(
            ["--from", "2024-01-01", "--to", "2024-01-02", "-o", "wide"],
            "error: -o: unknown format 'wide'",
            id="an unknown output format",
        ),
    ],
)
def test_usage_errors_exit_2_in_one_line_without_a_cluster(args: list[str], message: str) -> None:
    # No kubeconfig: reaching for the cluster would exit 5, not 2.
    result = kairflow("backfill", "create", "etl", *args, env={"KUBECONFIG": "/nonexistent"})
    assert result.exit_code == EXIT_USAGE
    assert error_line(result).startswith(message)
