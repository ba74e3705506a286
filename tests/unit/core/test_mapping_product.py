"""Mapping over several arguments at once (`expand.product`, Airflow's
`.expand(a=[...], b=[...])`): the combinations, their map indexes, and runs."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.api.dag import TaskSpec
from kairflow.core.mapping import MappingError, map_items
from tests.unit.core.planner_harness import Simulation, make_run, make_spec, xcom


def mapped(*arguments: dict[str, Any]) -> TaskSpec:
    return TaskSpec.model_validate({"name": "m", "bash": "true", "expand": {"product": arguments}})


def airflow_index(map_index: int, lengths: dict[str, int], key: str) -> int:
    """Airflow 2.10's DictOfListsExpandInput._find_index_for_this_field, as written."""
    index = map_index
    for mapped_key in reversed(list(lengths)):
        if mapped_key == key:
            return index % lengths[mapped_key]
        index //= lengths[mapped_key]
    return -1


def test_each_map_index_gets_airflows_combination() -> None:
    lists = {"a": [1, 2, 3], "b": ["x", "y"], "c": [True, False]}
    items = map_items(mapped(*({"name": k, "items": v} for k, v in lists.items())), {})
    assert items is not None and len(items) == 12
    lengths = {k: len(v) for k, v in lists.items()}
    for index, item in enumerate(items):
        assert item == {k: v[airflow_index(index, lengths, k)] for k, v in lists.items()}


@pytest.mark.parametrize(
    ("arguments", "xcoms", "expected"),
    [
        pytest.param(
            [{"name": "a", "items": [1, 2]}, {"name": "b", "items": ["x", "y"]}],
            {},
            [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}],
            id="the last argument varies fastest",
        ),
        pytest.param(
            [{"name": "a", "items": [1]}, {"name": "b", "fromTask": "src"}],
            {"src": ["x", "y"]},
            [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}],
            id="an argument may come from an upstream task's XCom",
        ),
        pytest.param(
            [{"name": "a", "items": [1]}, {"name": "b", "fromTask": "src"}],
            {},
            None,
            id="nothing to map while a source has not pushed yet",
        ),
        pytest.param(
            [{"name": "a", "items": [1, 2]}, {"name": "b", "items": []}],
            {},
            [],
            id="an empty argument makes no combination",
        ),
    ],
)
def test_the_combinations(
    arguments: list[dict[str, Any]], xcoms: dict[str, Any], expected: list[Any] | None
) -> None:
    assert map_items(mapped(*arguments), xcoms) == expected


@pytest.mark.parametrize(
    ("arguments", "xcoms", "error"),
    [
        pytest.param(
            [{"name": "a", "items": list(range(40))}, {"name": "b", "items": list(range(30))}],
            {},
            "cannot map over expand.product: 1200 combinations, the limit is 1024",
            id="more than 1024 combinations are refused",
        ),
        pytest.param(
            [{"name": "a", "items": [1]}, {"name": "b", "fromTask": "src"}],
            {"src": {"x": 1}},
            "cannot map over the XCom of 'src': expected a JSON list, got dict",
            id="a source that pushed no list is refused",
        ),
    ],
)
def test_unusable_combinations(
    arguments: list[dict[str, Any]], xcoms: dict[str, Any], error: str
) -> None:
    with pytest.raises(MappingError, match=error):
        map_items(mapped(*arguments), xcoms)


def commands(sim: Simulation) -> list[str]:
    by_key = {p.key: p.manifest["spec"]["containers"][0]["command"][-1] for p in sim.pods.values()}
    return [by_key[k] for k in sorted(k for k in by_key if k.startswith("m["))]


def test_a_literal_product_expands_when_the_run_starts_and_templates_see_each_value() -> None:
    product = [{"name": "a", "items": [1, 2]}, {"name": "b", "items": ["x", "y", "z"]}]
    spec = make_spec(
        [
            {"name": "m", "bash": "echo {{ item.a }}{{ item.b }}", "expand": {"product": product}},
            {"name": "after", "bash": "true"},
        ],
        ["m >> after"],
    )
    sim = Simulation(make_run(spec))
    status = sim.run_to_end()
    assert status.state == "success"
    assert commands(sim) == ["echo 1x", "echo 1y", "echo 1z", "echo 2x", "echo 2y", "echo 2z"]
    assert status.progress == "7/7"


def test_a_product_with_an_xcom_argument_expands_once_its_source_pushed() -> None:
    product = [{"name": "a", "fromTask": "src"}, {"name": "b", "items": ["x", "y"]}]
    spec = make_spec(
        [
            {"name": "src", "bash": "true"},
            {"name": "m", "bash": "echo {{ item.a }}{{ item.b }}", "expand": {"product": product}},
        ],
        ["src >> m"],
    )
    sim = Simulation(make_run(spec), script={"src": [xcom("[7, 8]")]})
    assert sim.run_to_end().state == "success"
    assert commands(sim) == ["echo 7x", "echo 7y", "echo 8x", "echo 8y"]


def test_a_literal_product_over_the_limit_fails_the_task_when_the_run_starts() -> None:
    product = [{"name": "a", "items": list(range(40))}, {"name": "b", "items": list(range(30))}]
    spec = make_spec([{"name": "m", "bash": "true", "expand": {"product": product}}])
    sim = Simulation(make_run(spec))
    status = sim.run_to_end()
    assert sim.states() == {"m": "failed"}
    assert "1200 combinations" in (status.task_instances["m"].message or "")
