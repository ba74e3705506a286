"""Clear and mark from the page: the preview lists the task instances the operator's
own selection picks (Airflow's clear dialog), and the write is one merge patch of the
whole request, as `kairflow tasks clear|mark` writes it."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.ui import routes_interventions
from tests.unit.ui.fake_user_api import NS, FakeUserApi, dag, dagrun, refusing, writes_of
from tests.unit.ui.ui_client import call, made_off_the_event_loop

# extract >> transform >> [load, report]; extract >> audit
SPEC = {
    "tasks": [
        {"name": "extract"},
        {"name": "transform", "dependsOn": ["extract"]},
        {"name": "load", "dependsOn": ["transform"]},
        {"name": "report", "dependsOn": ["transform"]},
        {"name": "audit", "dependsOn": ["extract"]},
    ]
}
STATES = {
    "audit": ("success", 1),
    "extract": ("success", 1),
    "load": ("upstream_failed", 0),
    "report": ("upstream_failed", 0),
    "transform": ("failed", 2),
}


def cluster(refuse: set[str] | None = None) -> FakeUserApi:
    api = FakeUserApi(refuse=refusing(refuse))
    api.add("dags", dag(tasks=SPEC["tasks"]))
    status = {
        "state": "failed",
        "dagSpec": SPEC,
        "taskInstances": {k: {"state": s, "tryNumber": t} for k, (s, t) in STATES.items()},
    }
    api.add("dagruns", dagrun("etl-1", status=status), dagrun("etl-2"))
    return api


def keys(answer: dict[str, Any]) -> list[str]:
    return [ti["key"] for ti in answer["taskInstances"]]


PREVIEWS = [
    pytest.param(
        "etl-1",
        "clear",
        {"tasks": ["transform"], "downstream": True},
        200,
        ["transform", "load", "report"],
        "3 task instances in 1 run",
        id="clearing a failed task with downstream lists it and everything after it",
    ),
    pytest.param(
        "etl-1",
        "clear",
        {"tasks": ["load"], "upstream": True},
        200,
        ["extract", "transform", "load"],
        "3 task instances in 1 run",
        id="clearing with upstream lists the task and everything before it, in DAG order",
    ),
    pytest.param(
        "etl-1",
        "clear",
        {"tasks": [], "onlyFailed": True},
        200,
        ["transform", "load", "report"],
        "3 task instances in 1 run",
        id="clearing only failed in the whole run lists failed and upstream failed instances",
    ),
    pytest.param(
        "etl-1",
        "clear",
        {},
        200,
        ["extract", "transform", "audit", "load", "report"],
        "5 task instances in 1 run",
        id="no tasks means every task instance of the run",
    ),
    pytest.param(
        "etl-2",
        "clear",
        {},
        200,
        [],
        "run etl-2 has not started yet: no task instances to clear",
        id="a run that has not started has nothing to clear and says so",
    ),
    pytest.param(
        "etl-1",
        "clear",
        {"tasks": ["transfrom"]},
        400,
        None,
        "'transfrom' matches no task of DAG 'etl' (its tasks: extract, transform, audit, "
        "load, report)",
        id="a task the DAG does not have is refused, naming the DAG's tasks",
    ),
    pytest.param(
        "etl-1",
        "clear",
        {"downstream": "yes"},
        400,
        None,
        "downstream: must be true or false, not 'yes'",
        id="an option that is not true or false is refused",
    ),
    pytest.param(
        "etl-1",
        "mark",
        {"tasks": ["load"], "state": "success"},
        200,
        ["load"],
        "1 task instance in 1 run",
        id="marking a task success lists that task only (marks have no downstream)",
    ),
    pytest.param(
        "etl-1",
        "mark",
        {"tasks": [], "state": "failed"},
        400,
        None,
        "tasks: name the tasks to mark (a pattern like * marks them all)",
        id="marking without tasks is refused",
    ),
    pytest.param(
        "etl-1",
        "mark",
        {"tasks": ["load"], "state": "running"},
        400,
        None,
        "the state to mark must be success or failed, not 'running'",
        id="a state that cannot be set by hand is refused",
    ),
]


@pytest.mark.parametrize(("run", "verb", "body", "status", "listed", "words"), PREVIEWS)
def test_the_preview_lists_what_the_request_acts_on_and_writes_nothing(
    run: str,
    verb: str,
    body: dict[str, Any],
    status: int,
    listed: list[str] | None,
    words: str,
) -> None:
    api = cluster()
    got = call(api, "POST", f"/api/ns/{NS}/dagruns/{run}/{verb}/preview", body)
    assert got.status == status, got.body
    if listed is None:
        assert got.body["error"] == words
    else:
        assert keys(got.body) == listed
        assert words in (got.body["summary"], got.body["message"])
    assert api.writes == []


def test_the_dialog_preview_of_a_clear_naming_a_task_group_lists_the_group() -> None:
    api = FakeUserApi()
    spec = {
        "groups": [{"name": "work"}],
        "tasks": [{"name": "a", "group": "work"}, {"name": "b", "group": "work"}, {"name": "c"}],
        "flow": ["work >> c"],
    }
    api.add("dags", dag(tasks=spec["tasks"]))
    tis = {k: {"state": "success", "tryNumber": 1} for k in ("work.a", "work.b", "c")}
    api.add(
        "dagruns",
        dagrun("etl-1", status={"state": "success", "dagSpec": spec, "taskInstances": tis}),
    )
    got = call(api, "POST", f"/api/ns/{NS}/dagruns/etl-1/clear/preview", {"tasks": ["work"]})
    assert got.status == 200, got.body
    assert keys(got.body) == ["work.a", "work.b"]


def test_the_preview_says_each_instances_state_and_try() -> None:
    got = call(cluster(), "POST", f"/api/ns/{NS}/dagruns/etl-1/clear/preview", {"tasks": ["t*"]})
    assert got.body["taskInstances"] == [
        {"key": "transform", "task": "transform", "state": "failed", "tryNumber": 2}
    ]
    assert (got.body["run"], got.body["dag"], got.body["requestId"]) == ("etl-1", "etl", None)


@pytest.mark.parametrize(
    ("verb", "body", "refuse", "status", "patch", "acted"),
    [
        pytest.param(
            "clear",
            {"tasks": ["transform"], "downstream": True, "onlyFailed": True},
            None,
            200,
            {
                "clear": {
                    "tasks": ["transform"],
                    "downstream": True,
                    "upstream": False,
                    "onlyFailed": True,
                }
            },
            ["transform", "load", "report"],
            id="clearing writes one merge patch of the whole clear request",
        ),
        pytest.param(
            "mark",
            {"tasks": ["load", "report"], "state": "failed"},
            None,
            200,
            {"mark": {"tasks": ["load", "report"], "state": "failed"}},
            ["load", "report"],
            id="marking writes one merge patch of the mark request",
        ),
        pytest.param(
            "clear",
            {"tasks": ["audit"], "onlyFailed": True},
            None,
            409,
            None,
            [],
            id="a clear that matches no instance writes nothing",
        ),
        pytest.param(
            "clear",
            {"tasks": ["transform"]},
            {"patch dagruns"},
            403,
            None,
            [],
            id="a user who may not patch runs is told which permission is missing",
        ),
    ],
)
def test_the_write(
    verb: str,
    body: dict[str, Any],
    refuse: set[str] | None,
    status: int,
    patch: dict[str, Any] | None,
    acted: list[str],
) -> None:
    api = cluster(refuse)
    got = call(api, "POST", f"/api/ns/{NS}/dagruns/etl-1/{verb}", body)
    assert got.status == status, got.body
    written = writes_of(api, ["patch"])
    if patch is None:
        assert written == []
        if status == 403:
            assert 'cannot patch resource "dagruns"' in got.body["error"]
        return
    ((_, kind, name, sent),) = written
    request_id = sent["spec"][verb].pop("id")
    assert (kind, name, sent) == ("dagruns", "etl-1", {"spec": patch})
    assert got.body["requestId"] == request_id
    assert keys(got.body) == acted


def test_the_selection_is_made_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    preview = (f"/api/ns/{NS}/dagruns/etl-1/clear/preview", {})
    assert made_off_the_event_loop(monkeypatch, routes_interventions, "pick", cluster(), *preview)
