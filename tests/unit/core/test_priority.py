"""Effective priority weights (weight_rule) and the topological order they follow."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kairflow.api.dag import DAGSpec, WeightRule
from kairflow.core.graph import build_graph
from kairflow.core.priority import priority_weights
from kairflow.core.task_settings import TaskPolicy, effective_task


def weights_of(tasks: list[dict[str, Any]], flow: list[str]) -> dict[str, int]:
    spec = DAGSpec.model_validate({"tasks": tasks, "flow": flow})
    graph = build_graph(spec)
    policies = {n: TaskPolicy.of(effective_task(spec, t)) for n, t in graph.tasks.items()}
    return priority_weights(graph, policies)


def task(name: str, weight: int = 1, rule: str = "downstream") -> dict[str, Any]:
    return {"name": name, "priorityWeight": weight, "weightRule": rule}


@pytest.mark.parametrize(
    ("tasks", "flow", "expected"),
    [
        pytest.param(
            [task("a"), task("b"), task("c")],
            ["a >> b >> c"],
            {"a": 3, "b": 2, "c": 1},
            id="by default a task weighs itself and everything downstream of it",
        ),
        pytest.param(
            [task("a"), task("b"), task("c"), task("d")],
            ["a >> [b, c] >> d"],
            {"a": 4, "b": 2, "c": 2, "d": 1},
            id="a diamond's join is counted once for the task above it",
        ),
        pytest.param(
            [task("a", 5, "upstream"), task("b", 2, "upstream"), task("c", 1, "upstream")],
            ["a >> b >> c"],
            {"a": 5, "b": 7, "c": 8},
            id="upstream weighs itself and everything upstream of it",
        ),
        pytest.param(
            [task("a", 5, "absolute"), task("b", 2)],
            ["a >> b"],
            {"a": 5, "b": 2},
            id="absolute weighs only itself",
        ),
        pytest.param(
            [task("a", -3), task("b", 10), task("c", 0)],
            ["a >> [b, c]"],
            {"a": 7, "b": 10, "c": 0},
            id="negative and zero weights add up as they are",
        ),
    ],
)
def test_effective_priority_weights(
    tasks: list[dict[str, Any]], flow: list[str], expected: dict[str, int]
) -> None:
    assert weights_of(tasks, flow) == expected


@st.composite
def weighted_dags(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    count = draw(st.integers(1, 12))
    names = [f"t{i}" for i in range(count)]
    flow: list[str] = []
    for i, name in enumerate(names):
        ups = draw(st.lists(st.sampled_from(names[:i]), unique=True, max_size=3)) if i else []
        flow += [f"{up} >> {name}" for up in ups]
    declared = draw(st.permutations(names))
    weights = st.integers(-(2**40), 2**40) | st.sampled_from([0, 1, 2])
    rules = st.sampled_from([r.value for r in WeightRule])
    tasks = [task(name, draw(weights), draw(rules)) for name in declared]
    return tasks, flow


@settings(max_examples=300, deadline=None)
@given(weighted_dags())
def test_weights_are_own_plus_the_relatives_named_by_the_rule(
    dag: tuple[list[dict[str, Any]], list[str]],
) -> None:
    tasks, flow = dag
    graph = build_graph(DAGSpec.model_validate({"tasks": tasks, "flow": flow}))
    own = {t["name"]: t["priorityWeight"] for t in tasks}
    related = {
        "downstream": graph.descendants,
        "upstream": graph.ancestors,
        "absolute": lambda name: frozenset(),
    }
    expected = {
        t["name"]: own[t["name"]] + sum(own[o] for o in related[t["weightRule"]](t["name"]))
        for t in tasks
    }
    assert weights_of(tasks, flow) == expected


@settings(max_examples=300, deadline=None)
@given(weighted_dags())
def test_topological_order_goes_level_by_level_in_declaration_order(
    dag: tuple[list[dict[str, Any]], list[str]],
) -> None:
    tasks, flow = dag
    graph = build_graph(DAGSpec.model_validate({"tasks": tasks, "flow": flow}))
    declared = [t["name"] for t in tasks]
    # A plain reading: repeatedly take every task whose upstream tasks are all taken.
    expected: list[str] = []
    while len(expected) < len(declared):
        taken = set(expected)
        expected += [n for n in declared if n not in taken and graph.upstream[n] <= taken]
    assert graph.order == tuple(expected)
