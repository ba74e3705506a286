"""Task groups: Airflow's ids, group-level dependencies, group defaults, and what a
group can get wrong."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kairflow.api.dag import DAGSpec
from kairflow.core.graph import build_graph, graph_problems
from kairflow.core.task_settings import effective_task

# extract >> transform >> load, transform a group of two chains: clean >> join, and
# validate (alone); nested: transform.stats holds one task, profile.
ETL: dict[str, Any] = {
    "groups": [{"name": "transform"}, {"name": "stats", "group": "transform"}],
    "tasks": [
        {"name": "extract"},
        {"name": "clean", "group": "transform"},
        {"name": "join", "group": "transform"},
        {"name": "validate", "group": "transform"},
        {"name": "profile", "group": "transform.stats"},
        {"name": "load"},
    ],
    "flow": ["extract >> transform >> load", "transform.clean >> transform.join"],
}


def spec_of(raw: dict[str, Any], **changes: Any) -> DAGSpec:
    return DAGSpec.model_validate({**raw, **changes})


def upstream_of(raw: dict[str, Any], **changes: Any) -> dict[str, list[str]]:
    graph = build_graph(spec_of(raw, **changes))
    return {name: sorted(graph.upstream[name]) for name in graph.order}


@pytest.mark.parametrize(
    ("groups", "task_group", "task_id"),
    [
        pytest.param([{"name": "g"}], "g", "g.t", id="a task in a group is group.task"),
        pytest.param(
            [{"name": "outer"}, {"name": "inner", "group": "outer"}],
            "outer.inner",
            "outer.inner.t",
            id="a task in a nested group carries both groups' names",
        ),
        pytest.param(
            [{"name": "g", "prefixGroupId": False}],
            "g",
            "t",
            id="a group that does not prefix leaves its tasks' ids as written",
        ),
        pytest.param(
            [{"name": "outer"}, {"name": "plain", "group": "outer", "prefixGroupId": False}],
            "outer.plain",
            "t",
            id="only the task's own group decides its prefix, as in Airflow",
        ),
        pytest.param(
            [{"name": "g"}],
            None,
            "t",
            id="a task outside every group keeps its name",
        ),
    ],
)
def test_task_ids(groups: list[dict[str, Any]], task_group: str | None, task_id: str) -> None:
    spec = DAGSpec.model_validate({"groups": groups, "tasks": [{"name": "t", "group": task_group}]})
    assert [t.name for t in spec.tasks] == [task_id]


def test_a_spec_read_back_from_its_own_output_keeps_its_ids() -> None:
    spec = spec_of(ETL)
    assert DAGSpec.model_validate(spec.to_wire()) == spec


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        pytest.param(
            ETL["flow"],
            {
                "extract": [],
                "transform.clean": ["extract"],
                "transform.validate": ["extract"],
                "transform.stats.profile": ["extract"],
                "transform.join": ["transform.clean"],
                "load": ["transform.join", "transform.stats.profile", "transform.validate"],
            },
            id="a group downstream of extract waits for extract in all its roots, "
            "and load waits for all its leaves",
        ),
        pytest.param(
            ["extract << transform", "transform.clean >> transform.join"],
            {
                "transform.clean": [],
                "transform.validate": [],
                "transform.stats.profile": [],
                "transform.join": ["transform.clean"],
                "load": [],
                "extract": ["transform.join", "transform.stats.profile", "transform.validate"],
            },
            id="`<<` takes the group's leaves as upstream too",
        ),
        pytest.param(
            ["transform.validate >> transform.stats", "[extract, transform] >> load"],
            {
                "extract": [],
                "transform.clean": [],
                "transform.join": [],
                "transform.validate": [],
                "transform.stats.profile": ["transform.validate"],
                "load": ["extract", "transform.clean", "transform.join", "transform.stats.profile"],
            },
            id="a link inside a group is made before the group's own leaves are taken",
        ),
        pytest.param(
            ["transform.clean >> transform.join", "transform.join >> transform.stats"],
            {
                "extract": [],
                "transform.clean": [],
                "transform.validate": [],
                "transform.join": ["transform.clean"],
                "transform.stats.profile": ["transform.join"],
                "load": [],
            },
            id="a nested group downstream of a task waits for it",
        ),
    ],
)
def test_group_level_dependencies(flow: list[str], expected: dict[str, list[str]]) -> None:
    assert upstream_of(ETL, flow=flow) == expected


def test_a_task_may_depend_on_a_group_with_depends_on() -> None:
    raw = {
        "groups": [{"name": "g"}],
        "tasks": [
            {"name": "a", "group": "g"},
            {"name": "b", "group": "g", "dependsOn": ["g.a"]},
            {"name": "after", "dependsOn": ["g"]},
        ],
    }
    assert upstream_of(raw)["after"] == ["g.b"]


def test_two_groups_in_a_row_link_the_first_ones_leaves_to_the_seconds_roots() -> None:
    raw = {
        "groups": [{"name": "one"}, {"name": "two"}],
        "tasks": [
            {"name": "a", "group": "one"},
            {"name": "b", "group": "one"},
            {"name": "c", "group": "two"},
            {"name": "d", "group": "two"},
        ],
        "flow": ["one.a >> one.b", "two.c >> two.d", "one >> two"],
    }
    assert upstream_of(raw)["two.c"] == ["one.b"]
    assert upstream_of(raw)["two.d"] == ["two.c"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        pytest.param(
            {"flow": ["extract >> transfrom"]},
            "flow 'extract >> transfrom': unknown task or task group 'transfrom'",
            id="a misspelt group in flow",
        ),
        pytest.param(
            {"flow": ["load >> transform >> load"]},
            "cycle: ",
            id="a cycle through a group",
        ),
        pytest.param(
            {"flow": ["transform >> transform.join"]},
            "'transform.join' is inside task group 'transform', so one cannot depend on the other",
            id="a group and its own task linked",
        ),
        pytest.param(
            {"groups": [*ETL["groups"], {"name": "empty"}]},
            "task group 'empty' has no tasks",
            id="a group with no tasks",
        ),
        pytest.param(
            {"groups": [*ETL["groups"], {"name": "load"}]},
            "task group 'load' has the same id as a task",
            id="a task and a group with the same id",
        ),
        pytest.param(
            {"tasks": [*ETL["tasks"], {"name": "x", "group": "nowhere"}]},
            "task 'x': unknown task group 'nowhere'",
            id="a task in an unknown group",
        ),
        pytest.param(
            {"groups": [*ETL["groups"], {"name": "deep", "group": "stats"}]},
            "task group 'deep': unknown parent group 'stats' (a nested group is named by its "
            "id, like 'outer.inner')",
            id="a nested group's parent named by its name instead of its id",
        ),
        pytest.param(
            {
                "groups": [{"name": "a", "group": "b"}, {"name": "b", "group": "a"}],
                "tasks": [{"name": "t"}],
                "flow": [],
            },
            "task group 'a': task groups nest in a cycle",
            id="groups nested in a cycle",
        ),
        pytest.param(
            {"groups": [{"name": "g"}, {"name": "g"}], "tasks": [{"name": "t", "group": "g"}]},
            "duplicate task group id 'g'",
            id="two groups with one id",
        ),
        pytest.param(
            {"groups": [{"name": "g" * 40}], "tasks": [{"name": "t" * 40, "group": "g" * 40}]},
            "the id with its group's prefix is longer than 63 characters",
            id="a task id too long for a label once prefixed",
        ),
    ],
)
def test_group_problems(changes: dict[str, Any], problem: str) -> None:
    problems = graph_problems(spec_of(ETL, **changes))
    assert any(problem in p for p in problems), problems


def test_a_valid_grouped_dag_has_no_problems() -> None:
    assert graph_problems(spec_of(ETL)) == []


def test_group_defaults_inner_over_outer_the_tasks_own_over_all_the_dags_below() -> None:
    spec = spec_of(
        ETL,
        defaults={"retries": 1, "pool": "dag-pool", "owner": "dag"},
        groups=[
            {"name": "transform", "defaults": {"retries": 2, "pool": "outer-pool"}},
            {"name": "stats", "group": "transform", "defaults": {"retries": 3}},
        ],
        tasks=[
            {"name": "extract"},
            {"name": "clean", "group": "transform"},
            {"name": "profile", "group": "transform.stats"},
            {"name": "own", "group": "transform.stats", "retries": 0, "retryDelay": "1m"},
        ],
        flow=[],
    )
    settings = {
        t.name: (e.retries, e.pool, e.owner, e.retry_delay)
        for t in spec.tasks
        for e in [effective_task(spec, t)]
    }
    assert settings == {
        "extract": (1, "dag-pool", "dag", None),
        "transform.clean": (2, "outer-pool", "dag", None),
        "transform.stats.profile": (3, "outer-pool", "dag", None),
        "transform.stats.own": (0, "outer-pool", "dag", timedelta(minutes=1)),
    }


def test_the_graph_knows_each_groups_tasks_nested_ones_included() -> None:
    graph = build_graph(spec_of(ETL))
    assert graph.groups == {
        "transform": (
            "transform.clean",
            "transform.join",
            "transform.validate",
            "transform.stats.profile",
        ),
        "transform.stats": ("transform.stats.profile",),
    }
