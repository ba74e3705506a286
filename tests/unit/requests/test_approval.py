"""Answering an approval task: which task instance and try the answer is for, and
the one merge patch that carries it (the CLI's and the UI's)."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.approval import ApprovalOutcome
from kairflow.requests.approval import answer_for, approval_patch
from kairflow.requests.errors import RequestError

SNAPSHOT = {
    "tasks": [
        {"name": "ok", "approval": {"subject": "ship?"}},
        {"name": "build", "bash": "make"},
    ]
}


def run(**tis: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "r1"},
        "status": {"dagSpec": SNAPSHOT, "taskInstances": tis},
    }


def test_an_answer_is_for_the_try_that_waits() -> None:
    found = run(ok={"state": "deferred", "tryNumber": 3})
    answer = answer_for(found, "ok", ApprovalOutcome.APPROVE, "fine", "alice")
    assert approval_patch("ok", answer) == {
        "spec": {
            "approvals": {
                "ok": {"outcome": "approve", "tryNumber": 3, "comment": "fine", "by": "alice"}
            }
        }
    }


@pytest.mark.parametrize(
    ("found", "key", "message"),
    [
        pytest.param(run(), "nope", "run r1 has no task 'nope' (yet)", id="an unknown task"),
        pytest.param(
            run(build={"state": "running"}), "build", "task 'build' of run r1 is no approval task",
            id="a task that is no approval",
        ),
        pytest.param(
            run(ok={"state": "success"}), "ok",
            "ok of run r1 is success, not waiting for an answer",
            id="an approval answered already",
        ),
        pytest.param(
            {"metadata": {"name": "r1"}}, "ok", "run r1 has no task 'ok' (yet)",
            id="a run that has not started",
        ),
    ],
)  # fmt: skip
def test_what_cannot_be_answered(found: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(RequestError) as raised:
        answer_for(found, key, ApprovalOutcome.REJECT, None, None)
    assert str(raised.value) == message
