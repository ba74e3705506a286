"""Approve and reject from the page: the answer for the try that waits, one merge
patch of the run's spec.approvals, as `kairflow tasks approve|reject` writes it."""

from __future__ import annotations

import json

from tests.unit.ui.fake_user_api import NS, FakeUserApi, dag, dagrun, writes_of
from tests.unit.ui.ui_client import call

SPEC = {"tasks": [{"name": "ok", "approval": {"subject": "ship?"}}, {"name": "b"}]}


def cluster(state: str = "deferred") -> FakeUserApi:
    api = FakeUserApi()
    api.add("dags", dag(tasks=SPEC["tasks"]))
    status = {
        "state": "running",
        "dagSpec": SPEC,
        "taskInstances": {"ok": {"state": state, "tryNumber": 2}, "b": {"state": "none"}},
    }
    api.add("dagruns", dagrun("etl-1", status=status))
    return api


def test_approve_writes_the_answer_for_the_waiting_try() -> None:
    api = cluster()
    got = call(api, "POST", f"/api/ns/{NS}/dagruns/etl-1/tis/ok/approve", {"comment": "fine"})
    assert got.status == 200, got.text
    answer = {"outcome": "approve", "tryNumber": 2, "comment": "fine", "by": "ui"}
    assert json.loads(got.text) == {"run": "etl-1", "key": "ok", **answer}
    [write] = writes_of(api)
    assert write[-1] == {"spec": {"approvals": {"ok": answer}}}


def test_a_task_that_does_not_wait_for_an_answer_is_refused_and_nothing_is_written() -> None:
    api = cluster(state="success")
    got = call(api, "POST", f"/api/ns/{NS}/dagruns/etl-1/tis/ok/reject", {})
    assert got.status == 400
    assert "ok of run etl-1 is success, not waiting for an answer" in got.text
    assert writes_of(api) == []
