"""Clear and mark requests as every front end writes them: one merge patch with the
whole request, the task instances the operator's selection picks, the states a mark
may set, and a trigger's logical date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import ClearRequest, MarkRequest
from kairflow.requests.errors import RequestError
from kairflow.requests.interventions import merge_patch, parse_mark_state
from kairflow.requests.task_selection import RunTasks, check_patterns, selected_by
from kairflow.requests.trigger import logical_date

SPEC = {
    "tasks": [
        {"name": "extract"},
        {"name": "transform", "dependsOn": ["extract"]},
        {"name": "load", "dependsOn": ["transform"]},
    ]
}
RUN = RunTasks.of(
    {
        "metadata": {"name": "etl-1"},
        "spec": {"dagName": "etl"},
        "status": {
            "dagSpec": SPEC,
            "taskInstances": {
                "extract": {"state": "success", "tryNumber": 1},
                "load": {"state": "upstream_failed"},
                "transform": {"state": "failed", "tryNumber": 2},
            },
        },
    }
)


@pytest.mark.parametrize(
    ("request_", "patch"),
    [
        pytest.param(
            ClearRequest(id="1", tasks=["load"]),
            {
                "clear": {
                    "id": "1",
                    "tasks": ["load"],
                    "downstream": False,
                    "upstream": False,
                    "onlyFailed": False,
                }
            },
            id="a clear writes every field, so a merge keeps nothing of the last request",
        ),
        pytest.param(
            MarkRequest(id="2", tasks=["load"], state=TaskInstanceState.SUCCESS),
            {"mark": {"id": "2", "tasks": ["load"], "state": "success"}},
            id="a mark writes the run's spec.mark",
        ),
    ],
)
def test_the_merge_patch(request_: ClearRequest | MarkRequest, patch: dict[str, Any]) -> None:
    assert merge_patch(request_) == {"spec": patch}


@pytest.mark.parametrize(
    ("request_", "keys"),
    [
        pytest.param(
            ClearRequest(id="1", tasks=["extract"], downstream=True),
            ["extract", "transform", "load"],
            id="clearing a task with its downstream picks everything after it, in DAG order",
        ),
        pytest.param(
            ClearRequest(id="1", only_failed=True),
            ["transform", "load"],
            id="clearing only failed picks failed and upstream failed",
        ),
        pytest.param(
            MarkRequest(id="1", tasks=["load"], state=TaskInstanceState.FAILED),
            ["load"],
            id="marking picks only the named task",
        ),
    ],
)
def test_the_selection_is_the_operators(
    request_: ClearRequest | MarkRequest, keys: list[str]
) -> None:
    assert [s.key for s in selected_by([RUN], request_)] == keys


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        pytest.param("success", True, id="success can be marked"),
        pytest.param("failed", True, id="failed can be marked"),
        pytest.param("running", False, id="running cannot be set by hand"),
    ],
)
def test_the_states_a_mark_may_set(text: str, ok: bool) -> None:
    if ok:
        assert parse_mark_state(text) == TaskInstanceState(text)
    else:
        with pytest.raises(RequestError, match="must be success or failed, not 'running'"):
            parse_mark_state(text)


def test_a_page_lists_only_the_first_task_names_of_a_big_dag() -> None:
    names = [f"t{i}" for i in range(5000)]
    with pytest.raises(RequestError) as raised:
        check_patterns(["nope"], names, "big", shown=3)
    assert str(raised.value) == (
        "'nope' matches no task of DAG 'big' (its tasks: t0, t1, t2 and 4997 more)"
    )


GROUPED_RUN = RunTasks.of(
    {
        "metadata": {"name": "etl-2"},
        "spec": {"dagName": "etl"},
        "status": {
            "dagSpec": {
                "groups": [{"name": "work"}],
                "tasks": [
                    {"name": "extract"},
                    {"name": "a", "group": "work"},
                    {"name": "b", "group": "work", "dependsOn": ["work.a"]},
                    {"name": "load", "dependsOn": ["work"]},
                ],
            },
            "taskInstances": {
                k: {"state": "success", "tryNumber": 1}
                for k in ("extract", "work.a", "work.b", "load")
            },
        },
    }
)


def test_a_clear_preview_naming_a_group_lists_the_groups_tasks_and_what_follows() -> None:
    check_patterns(["work"], GROUPED_RUN.graph.selectable if GROUPED_RUN.graph else [], "etl")
    request = ClearRequest(id="1", tasks=["work"], downstream=True)
    assert [s.key for s in selected_by([GROUPED_RUN], request)] == ["work.a", "work.b", "load"]


NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        pytest.param(None, "Asia/Seoul", "2026-03-01T12:30:00+00:00", id="no date is now"),
        pytest.param(
            "2026-03-01T09:00",
            "Asia/Seoul",
            "2026-03-01T00:00:00+00:00",
            id="a form's naive date and time is a wall time in the DAG's zone",
        ),
        pytest.param(
            "2026-03-01T09:00:00Z", "Asia/Seoul", "2026-03-01T09:00:00+00:00", id="Z is UTC"
        ),
    ],
)
def test_a_triggers_logical_date(text: str | None, zone: str, expected: str) -> None:
    assert logical_date(text, zone, NOW, "logicalDate").isoformat() == expected


def test_a_logical_date_that_is_not_one_names_the_field() -> None:
    with pytest.raises(RequestError, match=r"^logicalDate: invalid date-time 'tomorrow'"):
        logical_date("tomorrow", "UTC", NOW, "logicalDate")
