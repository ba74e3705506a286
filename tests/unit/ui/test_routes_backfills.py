"""Backfills from the page: the dry run lists the dates it would run (the operator's
own plan, from the DAG and its runs as the cluster has them), create writes the
Backfill the CLI writes, and stop deletes it, leaving its runs."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.ui import routes_backfills
from tests.unit.ui.fake_user_api import NS, FakeUserApi, dag, dagrun, refusing, writes_of
from tests.unit.ui.ui_client import call, made_off_the_event_loop

BASE = f"/api/ns/{NS}/dags/etl/backfills"


def backfill(name: str, dag_name: str, created: str, state: str = "running") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NS, "creationTimestamp": created},
        "spec": {"dagName": dag_name, "from": "2024-01-01", "to": "2024-01-03"},
        "status": {"state": state, "total": 3, "created": 2, "succeeded": 1, "failed": 0},
    }


def run_of(day: str, state: str, backfill_name: str | None = None) -> dict[str, Any]:
    marks = {"kairflow.io/backfill": backfill_name} if backfill_name else {}
    return dagrun(
        f"etl-{backfill_name or 'scheduled'}-{day}",
        status={"state": state, "logicalDate": f"{day}T00:00:00+00:00"},
        labels=marks,
        annotations=marks,
    )


def cluster(refuse: set[str] | None = None, **spec: Any) -> FakeUserApi:
    api = FakeUserApi(refuse=refusing(refuse))
    api.add("dags", dag(**{"schedule": "@daily", "startDate": "2020-01-01", **spec}))
    api.add(
        "dagruns",
        run_of("2024-01-02", "success"),
        run_of("2024-01-03", "failed"),
        run_of("2024-02-01", "running", "etl-feb"),
        run_of("2024-02-02", "success", "etl-feb"),
    )
    api.add(
        "backfills",
        backfill("etl-old", "etl", "2026-01-01T00:00:00Z", "completed"),
        backfill("etl-feb", "etl", "2026-02-01T00:00:00Z"),
        backfill("other-feb", "other", "2026-03-01T00:00:00Z"),
    )
    return api


def dates(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["logical_date"][:10], d["action"]) for d in answer["dates"]]


@pytest.mark.parametrize(
    ("body", "spec", "status", "expected"),
    [
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04"},
            {},
            200,
            [
                ("2024-01-01", "create"),
                ("2024-01-02", "skip"),
                ("2024-01-03", "skip"),
                ("2024-01-04", "create"),
            ],
            id="a daily range lists every date, skipping those with runs by default",
        ),
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04", "reprocess": "failed", "runBackwards": True},
            {},
            200,
            [
                ("2024-01-04", "create"),
                ("2024-01-03", "clear"),
                ("2024-01-02", "skip"),
                ("2024-01-01", "create"),
            ],
            id="rerunning failed runs backwards clears the failed date, newest first",
        ),
        pytest.param(
            {"from": "2024-01-01", "to": "next week"},
            {},
            400,
            "to: invalid date 'next week'",
            id="a date that is not one names the field",
        ),
        pytest.param(
            {"to": "2024-01-04"},
            {},
            400,
            "from: required",
            id="a range without its start is refused",
        ),
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04", "maxActiveRuns": 0},
            {},
            400,
            "maxActiveRuns: must be at least 1, got 0",
            id="zero runs at once is refused",
        ),
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04"},
            {"schedule": None},
            400,
            "cannot backfill etl: nothing to backfill: the DAG has no schedule",
            id="a DAG without a schedule cannot be backfilled",
        ),
    ],
)
def test_the_dry_run(
    body: dict[str, Any], spec: dict[str, Any], status: int, expected: Any
) -> None:
    api = cluster(**spec)
    got = call(api, "POST", f"{BASE}/preview", body)
    assert got.status == status, got.body
    if status == 200:
        assert dates(got.body) == expected
    else:
        assert got.body["error"].startswith(expected)
    assert api.writes == []


def test_a_range_too_long_for_a_page_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real limit is 10,000 dates (seconds of planning); a smaller one shows the same.
    monkeypatch.setattr(routes_backfills, "PLAN_LIMIT", 30)
    got = call(cluster(), "POST", f"{BASE}/preview", {"from": "2024-01-01", "to": "2024-12-31"})
    assert got.status == 400
    assert got.body["error"].startswith(
        "cannot backfill etl: more than 30 logical dates between 2024-01-01T00:00:00+00:00 and "
        "2024-12-31T00:00:00+00:00: choose a shorter range"
    )


def test_the_dry_run_says_what_it_would_do_in_words() -> None:
    got = call(cluster(), "POST", f"{BASE}/preview", {"from": "2024-01-02", "to": "2024-01-03"})
    assert got.body | {"dates": None} == {
        "name": "etl-20240102-20240103",
        "summary": "backfill etl-20240102-20240103 of DAG etl: 0 runs (0 to create, 0 to "
        "clear, 2 skipped), oldest first, at most 16 at once; times in UTC",
        "timezone": "UTC",
        "runs": 0,
        "total": 2,
        "dates": None,
        "nothing": "nothing to backfill: all 2 logical dates have runs to keep (reprocess none)",
    }


@pytest.mark.parametrize(
    ("body", "refuse", "status", "message", "spec"),
    [
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04", "maxActiveRuns": 2, "conf": {"a": 1}},
            None,
            201,
            None,
            {
                "dagName": "etl",
                "from": "2024-01-01",
                "to": "2024-01-04",
                "reprocess": "none",
                "maxActiveRuns": 2,
                "conf": {"a": 1},
            },
            id="creating writes the Backfill the CLI writes",
        ),
        pytest.param(
            {"from": "2024-01-02", "to": "2024-01-03"},
            None,
            409,
            "nothing to backfill: all 2 logical dates have runs to keep (reprocess none); "
            "no Backfill created",
            None,
            id="a range whose dates all have runs to keep creates nothing",
        ),
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04", "name": "etl-feb"},
            None,
            409,
            "backfill 'etl-feb' already exists in namespace 'team': give another name",
            None,
            id="a name already taken is refused",
        ),
        pytest.param(
            {"from": "2024-01-01", "to": "2024-01-04"},
            {"create backfills"},
            403,
            'cannot create resource "backfills"',
            None,
            id="a user who may not create backfills is told which permission is missing",
        ),
    ],
)
def test_create(
    body: dict[str, Any],
    refuse: set[str] | None,
    status: int,
    message: str | None,
    spec: dict[str, Any] | None,
) -> None:
    api = cluster(refuse)
    got = call(api, "POST", BASE, body)
    assert got.status == status, got.body
    if message is not None:
        assert message in got.body["error"]
    created = writes_of(api, ["create"])
    if spec is None:
        assert created == []
    else:
        assert [(w[1], w[2], w[3]["spec"]) for w in created] == [
            ("backfills", "etl-20240101-20240104", spec)
        ]
        assert got.body == {"name": "etl-20240101-20240104", "runs": 2}


def test_the_dags_backfills_newest_first_without_other_dags() -> None:
    got = call(cluster(), "GET", BASE)
    assert [(b["name"], b["status"]["state"]) for b in got.body["backfills"]] == [
        ("etl-feb", "running"),
        ("etl-old", "completed"),
    ]


@pytest.mark.parametrize(
    ("name", "refuse", "status", "answer"),
    [
        pytest.param(
            "etl-feb",
            None,
            200,
            {"runs": 2, "inFlight": 1},
            id="stopping deletes the Backfill and keeps its runs, counting those in flight",
        ),
        pytest.param(
            "etl-feb",
            {"delete backfills"},
            403,
            {"error": 'cannot delete resource "backfills"'},
            id="a user who may not delete backfills is told which permission is missing",
        ),
    ],
)
def test_stop(name: str, refuse: set[str] | None, status: int, answer: dict[str, Any]) -> None:
    api = cluster(refuse)
    got = call(api, "DELETE", f"/api/ns/{NS}/backfills/{name}")
    assert got.status == status, got.body
    for key, value in answer.items():
        assert value in got.body[key] if key == "error" else got.body[key] == value
    deleted = [("delete", "backfills", name, None)] if status == 200 else []
    assert writes_of(api) == deleted


def test_the_plan_is_made_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    preview = (f"{BASE}/preview", {"from": "2024-01-01", "to": "2024-01-02"})
    assert made_off_the_event_loop(monkeypatch, routes_backfills, "plan_for", cluster(), *preview)
