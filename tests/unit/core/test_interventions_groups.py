"""Clear and mark by task group: naming a group selects all its tasks (nested groups'
and mapped instances included), downstream/upstream taken from each, as Airflow's
clear of a TaskGroup."""

from __future__ import annotations

import pytest

from kairflow.api.common import TaskInstanceState as TI
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import ClearRequest, DagRunStatus, MarkRequest, TaskInstanceStatus
from kairflow.core.graph import build_graph
from kairflow.core.interventions import cleared_keys, marked_keys

SPEC = DAGSpec.model_validate(
    {
        "groups": [{"name": "transform"}, {"name": "stats", "group": "transform"}],
        "tasks": [
            {"name": "extract"},
            {"name": "clean", "group": "transform"},
            {
                "name": "profile",
                "group": "transform.stats",
                "bash": "x",
                "expand": {"items": [1, 2]},
            },
            {"name": "load"},
            {"name": "report"},
        ],
        "flow": ["extract >> transform >> load", "extract >> report"],
    }
)
GRAPH = build_graph(SPEC)
KEYS = ["extract", "transform.clean", "transform.stats.profile[0]", "transform.stats.profile[1]"]
STATUS = DagRunStatus(
    task_instances={
        key: TaskInstanceStatus(state=TI.FAILED if key == "transform.clean" else TI.SUCCESS)
        for key in [*KEYS, "load", "report"]
    }
)


@pytest.mark.parametrize(
    ("request_", "selected"),
    [
        pytest.param(
            ClearRequest(id="1", tasks=["transform"]),
            ["transform.clean", "transform.stats.profile[0]", "transform.stats.profile[1]"],
            id="clearing a group clears its tasks, nested groups' and mapped instances too",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["transform.stats"]),
            ["transform.stats.profile[0]", "transform.stats.profile[1]"],
            id="clearing a nested group clears only its own tasks",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["transform"], downstream=True),
            ["transform.clean", "transform.stats.profile[0]", "transform.stats.profile[1]", "load"],
            id="clearing a group with downstream also clears what follows the group",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["transform.stats"], upstream=True),
            ["extract", "transform.stats.profile[0]", "transform.stats.profile[1]"],
            id="clearing a group with upstream also clears what it waits for",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["transform"], only_failed=True),
            ["transform.clean"],
            id="clearing only the failed tasks of a group",
        ),
        pytest.param(
            ClearRequest(id="1", tasks=["trans*"]),
            ["transform.clean", "transform.stats.profile[0]", "transform.stats.profile[1]"],
            id="a pattern matching a group selects the group",
        ),
    ],
)
def test_clear_by_group(request_: ClearRequest, selected: list[str]) -> None:
    assert cleared_keys(STATUS, GRAPH, request_) == selected


def test_marking_a_group_marks_all_its_task_instances() -> None:
    request = MarkRequest(id="1", tasks=["transform"], state=TI.SUCCESS)
    assert marked_keys(STATUS, GRAPH, request) == KEYS[1:]


def test_a_group_is_something_a_clear_may_name() -> None:
    assert GRAPH.selectable[-2:] == ("transform", "transform.stats")
