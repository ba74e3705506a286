"""What a task the operator decides itself (triggerDagRun, externalTask, approval)
cannot also be: problems found when the DAG is read, one sentence each."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from kairflow.api.dag import DAGSpec
from kairflow.core.validation import validate_dag


def problems(task: dict[str, Any]) -> list[str]:
    return validate_dag(DAGSpec.model_validate({"tasks": [{"name": "t", **task}]}))


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        pytest.param({"triggerDagRun": {"dag": "other"}}, [], id="a plain trigger is fine"),
        pytest.param(
            {"externalTask": {"dag": "other", "task": "a"}, "sensor": {"timeout": "1h"}}, [],
            id="an external task sensor takes sensor settings",
        ),
        pytest.param(
            {"approval": {"subject": "ok?"}, "sensor": {}},
            ["task 't': an approval task is no sensor: sensor settings apply to externalTask only"],
            id="an approval takes no sensor settings",
        ),
        pytest.param(
            {"triggerDagRun": {"dag": "other"}, "branch": True, "expand": {"items": [1]}},
            ["task 't': a triggerDagRun task runs no pod: it cannot have branch, expand"],
            id="a trigger cannot be a branch or mapped",
        ),
        pytest.param(
            {"externalTask": {"dag": "other", "task": "a", "taskGroup": "g"}},
            ["task 't': an externalTask task watches one of task, tasks or taskGroup, "
             "not ['task', 'taskGroup']"],
            id="an external task sensor watches one thing",
        ),
        pytest.param(
            {"approval": {"subject": "{{ ds "}},
            ["task 't': approval.subject: unexpected end of template, expected 'end of print "
             "statement'"],
            id="a broken template in the subject is found when the DAG is read",
        ),
        pytest.param(
            {"triggerDagRun": {"dag": "other", "conf": {"a": ["{% if %}"]}}},
            ["task 't': triggerDagRun.conf.a[0]: Expected an expression, got 'end of statement "
             "block'"],
            id="a broken template deep in the conf is found too",
        ),
    ],
)  # fmt: skip
def test_deferred_task_problems(task: dict[str, Any], expected: list[str]) -> None:
    assert problems(task) == expected


def test_a_task_has_one_kind() -> None:
    with pytest.raises(ValidationError, match="set only one of bash / triggerDagRun"):
        DAGSpec.model_validate(
            {"tasks": [{"name": "t", "bash": "x", "triggerDagRun": {"dag": "o"}}]}
        )
