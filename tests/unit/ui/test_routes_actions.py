"""Trigger, pause and delete a run from the page: the same writes the CLI makes, with
the page's input checked first (400 naming the field) and RBAC's refusal passed on in
the API server's words (403 naming the missing permission)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.ui.fake_user_api import NS, FakeUserApi, dag, dagrun, refusing, writes_of
from tests.unit.ui.ui_client import call

TRIGGER = f"/api/ns/{NS}/dags/etl/runs"


def cluster(refuse: set[str] | None = None) -> FakeUserApi:
    api = FakeUserApi(refuse=refusing(refuse))
    params = {"fruit": "apple", "count": 3, "rows": {"default": 3, "type": "integer", "maximum": 9}}
    api.add("dags", dag(timezone="Asia/Seoul", params=params))
    api.add("dagruns", dagrun("etl-manual-20260301t000000"))
    return api


@pytest.mark.parametrize(
    ("body", "refuse", "status", "answer", "run_spec"),
    [
        pytest.param(
            {"conf": {"fruit": "pear"}, "logicalDate": "2026-03-02T09:00"},
            None,
            201,
            {"name": "etl-manual-20260302t000000"},
            {
                "dagName": "etl",
                "runType": "manual",
                "logicalDate": "2026-03-02T00:00:00+00:00",
                "conf": {"fruit": "pear"},
            },
            id="a trigger with conf and a logical date makes a manual run at that wall time "
            "in the DAG's zone",
        ),
        pytest.param(
            {"conf": {"count": "three"}},
            None,
            422,
            {"error": "conf 'count' must be a number like the param's default, not a string"},
            None,
            id="conf of the wrong type for a param is refused before anything is written",
        ),
        pytest.param(
            {"conf": {"rows": 10}},
            None,
            422,
            {"error": "conf 'rows' must be <= 9, not 10 (param rows: maximum 9)"},
            None,
            id="conf above a param's maximum is refused naming the param",
        ),
        pytest.param(
            {"conf": ["fruit"]},
            None,
            400,
            {"error": "conf: must be a JSON object"},
            None,
            id="conf that is not an object names the field",
        ),
        pytest.param(
            {"logicalDate": "tomorrow"},
            None,
            400,
            {"reason": "BadRequest"},
            None,
            id="a logical date that is not one is a bad request",
        ),
        pytest.param(
            {"logicalDate": "2026-03-01T09:00"},
            None,
            409,
            {"error": 'dagruns.kairflow.io "etl-manual-20260301t000000" already exists'},
            None,
            id="a second run at the same logical date is refused as the API server says",
        ),
        pytest.param(
            {},
            {"create dagruns"},
            403,
            {"error": 'cannot create resource "dagruns"'},
            None,
            id="a user who may not create runs is told which permission is missing",
        ),
    ],
)
def test_trigger(
    body: dict[str, Any],
    refuse: set[str] | None,
    status: int,
    answer: dict[str, Any],
    run_spec: dict[str, Any] | None,
) -> None:
    api = cluster(refuse)
    got = call(api, "POST", TRIGGER, body)
    assert got.status == status, got.body
    for key, value in answer.items():
        assert value in got.body[key] if key == "error" else got.body[key] == value
    created = writes_of(api, ["create"])
    if run_spec is None:
        assert created == []
    else:
        assert [(w[1], w[3]["spec"]) for w in created] == [("dagruns", run_spec)]


def test_a_write_without_the_pages_csrf_token_is_refused_before_the_cluster() -> None:
    api = cluster()
    got = call(api, "POST", TRIGGER, {}, csrf=False)
    assert (got.status, got.body["reason"]) == (403, "CSRF")
    assert api.writes == []


@pytest.mark.parametrize(
    ("run", "refuse", "status", "answer", "deleted"),
    [
        pytest.param(
            "etl-manual-20260301t000000",
            None,
            200,
            {"name": "etl-manual-20260301t000000", "dag": "etl"},
            True,
            id="deleting a run answers with its DAG, for the page to go back to the grid",
        ),
        pytest.param(
            "gone",
            None,
            404,
            {"error": 'dagruns.kairflow.io "gone" not found'},
            False,
            id="a run that is not there is not found",
        ),
        pytest.param(
            "etl-manual-20260301t000000",
            {"delete dagruns"},
            403,
            {"error": 'cannot delete resource "dagruns"'},
            False,
            id="a user who may not delete runs is told which permission is missing",
        ),
    ],
)
def test_delete_a_run(
    run: str, refuse: set[str] | None, status: int, answer: dict[str, Any], deleted: bool
) -> None:
    api = cluster(refuse)
    got = call(api, "DELETE", f"/api/ns/{NS}/dagruns/{run}")
    assert got.status == status, got.body
    for key, value in answer.items():
        assert value in got.body[key] if key == "error" else got.body[key] == value
    assert writes_of(api, ["delete"]) == ([("delete", "dagruns", run, None)] if deleted else [])


@pytest.mark.parametrize(
    ("body", "status", "patch"),
    [
        pytest.param({"paused": True}, 200, {"spec": {"paused": True}}, id="pausing a DAG"),
        pytest.param(
            {"paused": "yes"}, 400, None, id="a paused that is not true or false is refused"
        ),
    ],
)
def test_pause(body: dict[str, Any], status: int, patch: dict[str, Any] | None) -> None:
    api = cluster()
    got = call(api, "POST", f"/api/ns/{NS}/dags/etl/paused", body)
    assert got.status == status, got.body
    assert [w[3] for w in writes_of(api, ["patch"])] == ([patch] if patch else [])
