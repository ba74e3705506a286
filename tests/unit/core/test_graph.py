from typing import Any

import pytest

from kairflow.api.dag import DAGSpec
from kairflow.core.errors import InvalidDag
from kairflow.core.graph import build_graph, find_cycle, graph_problems, parse_chain


def spec(tasks: list[Any], flow: list[str] | None = None) -> DAGSpec:
    items = [t if isinstance(t, dict) else {"name": t} for t in tasks]
    return DAGSpec.model_validate({"tasks": items, "flow": flow or []})


@pytest.mark.parametrize(
    ("chain", "edges"),
    [
        pytest.param("a >> b", [("a", "b")], id="a simple edge"),
        pytest.param("a >> b >> c", [("a", "b"), ("b", "c")], id="a chain"),
        pytest.param("a << b", [("b", "a")], id="left shift points upstream"),
        pytest.param(
            "a >> [b, c] >> d",
            [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
            id="fan out and in",
        ),
        pytest.param(
            "[a, b] >> [c, d]",
            [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")],
            id="list to list links every pair",
        ),
        pytest.param("a>>b", [("a", "b")], id="no spaces"),
        pytest.param("a >> b << c", [("a", "b"), ("c", "b")], id="mixed operators"),
    ],
)
def test_parse_chain(chain: str, edges: list[tuple[str, str]]) -> None:
    assert parse_chain(chain) == edges


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        pytest.param("a", "no `>>` or `<<`", id="no operator"),
        pytest.param("a >> ", "a task is missing", id="dangling operator"),
        pytest.param("a >> [b, c", "unbalanced brackets", id="unclosed list"),
        pytest.param("a >> [b,, c]", "empty name", id="empty list item"),
        pytest.param("a >> b c", "'b c' is not a task name", id="space in a name"),
    ],
)
def test_malformed_chains(chain: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_chain(chain)


def test_flow_and_depends_on_combine() -> None:
    graph = build_graph(
        spec(["a", "b", {"name": "c", "dependsOn": ["a"]}, "d"], ["a >> b", "[b, c] >> d"])
    )
    assert graph.upstream["d"] == {"b", "c"}
    assert graph.upstream["c"] == {"a"}
    assert graph.downstream["a"] == {"b", "c"}
    assert graph.leaves == {"d"}
    assert graph.order == ("a", "b", "c", "d")
    assert graph.descendants("a") == {"b", "c", "d"}
    assert graph.ancestors("d") == {"a", "b", "c"}


def test_topological_order_is_stable_by_declaration() -> None:
    graph = build_graph(spec(["z", "y", "x", "w"], ["w >> x", "z >> x"]))
    assert graph.order == ("z", "y", "w", "x")


@pytest.mark.parametrize(
    ("tasks", "flow", "problem"),
    [
        pytest.param(
            ["a", "b", "c"], ["a >> b >> c >> a"], "cycle: a -> b -> c -> a", id="a cycle is named"
        ),
        pytest.param(
            ["a"],
            ["a >> ghost"],
            "flow 'a >> ghost': unknown task 'ghost'",
            id="unknown task in flow",
        ),
        pytest.param(
            [{"name": "a", "dependsOn": ["nope"]}],
            [],
            "task 'a' dependsOn: unknown task 'nope'",
            id="unknown dependsOn",
        ),
        pytest.param(["a", "a"], [], "duplicate task name 'a'", id="duplicate names"),
        pytest.param(["a", "b"], ["a >> a"], "task 'a' depends on itself", id="self loop"),
        pytest.param(["a", "b"], ["a b"], "no `>>` or `<<`", id="malformed chain"),
        pytest.param(
            ["a", {"name": "m", "bash": "x", "expand": {"fromTask": "a"}}],
            [],
            "expand.fromTask 'a' must be a direct upstream task",
            id="mapping source not upstream",
        ),
        pytest.param(
            ["a", {"name": "m", "bash": "x", "expand": {}}],
            [],
            "expand needs exactly one of items, fromTask or product",
            id="empty expand",
        ),
        pytest.param(
            ["a", {"name": "m", "bash": "x", "expand": {"product": [{"name": "x"}]}}],
            [],
            "expand.product 'x' needs exactly one of items or fromTask",
            id="a product argument without a list",
        ),
        pytest.param(
            [
                "a",
                {
                    "name": "m",
                    "bash": "x",
                    "expand": {
                        "product": [{"name": "x", "items": [1]}, {"name": "x", "items": [2]}]
                    },
                },
            ],
            [],
            "expand.product names 'x' twice",
            id="a product naming an argument twice",
        ),
        pytest.param(
            [
                "a",
                {
                    "name": "m",
                    "bash": "x",
                    "expand": {
                        "product": [{"name": "x", "items": [1]}, {"name": "y", "fromTask": "a"}]
                    },
                },
            ],
            [],
            "expand.fromTask 'a' must be a direct upstream task",
            id="a product argument's source not upstream",
        ),
    ],
)
def test_problems_are_clear(tasks: list[Any], flow: list[str], problem: str) -> None:
    problems = graph_problems(spec(tasks, flow))
    assert any(problem in p for p in problems), problems
    with pytest.raises(InvalidDag, match=r"."):
        build_graph(spec(tasks, flow))


def test_find_cycle_returns_none_for_a_dag() -> None:
    assert find_cycle({"a": set(), "b": {"a"}, "c": {"a", "b"}}) is None
