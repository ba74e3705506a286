"""TaskFlow: calling a @task makes a task; XComArgs wire dependencies and values."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.sdk import DAG, BashOperator, SdkError, TaskGroup, dag, task
from tests.unit.sdk.helpers import depends_on, tasks_of


@task
def extract() -> list[int]:
    return [1, 2, 3]


@task
def double(x: int) -> int:
    return x * 2


@task(retries=3)
def total(values: list[int]) -> int:
    return sum(values)


def test_passing_an_xcomarg_makes_the_dependency() -> None:
    with DAG("tf", schedule=None) as d:
        total(extract())
    assert depends_on(d) == {"extract": [], "total": ["extract"]}
    assert tasks_of(d)["total"]["retries"] == 3


def test_repeated_calls_get_airflows_numbered_ids() -> None:
    with DAG("tf", schedule=None) as d:
        double(1)
        double(2)
        double(3)
        with TaskGroup("g"):
            double(4)
            double(5)
    assert list(tasks_of(d)) == ["double", "double__1", "double__2", "g.double", "g.double__1"]


def test_override_changes_the_task_id_and_operator_arguments() -> None:
    with DAG("tf", schedule=None) as d:
        double.override(task_id="twice", pool="p")(2)
    assert tasks_of(d)["twice"]["pool"] == "p"


@pytest.mark.parametrize(
    ("mapped", "expand"),
    [
        pytest.param(lambda: [1, 2], {"items": [1, 2]}, id="expand over a list maps its items"),
        pytest.param(extract, {"fromTask": "extract"}, id="expand over an XComArg maps its list"),
    ],
)
def test_expand_maps_one_argument(mapped: Any, expand: dict[str, Any]) -> None:
    with DAG("tf", schedule=None) as d:
        total(double.expand(x=mapped()))
    tasks = tasks_of(d)
    assert tasks["double"]["expand"] == expand
    assert tasks["total"]["dependsOn"] == ["double"]


@task
def pair(x: int, y: int) -> int:
    return x * y


def test_expand_over_several_arguments_maps_their_cross_product() -> None:
    with DAG("tf", schedule=None) as d:
        pair.expand(x=[1, 2], y=extract())
    tasks = tasks_of(d)
    assert tasks["pair"]["expand"] == {
        "product": [{"name": "x", "items": [1, 2]}, {"name": "y", "fromTask": "extract"}]
    }
    assert tasks["pair"]["dependsOn"] == ["extract"]
    assert "item['x']" in tasks["pair"]["python"] and "item['y']" in tasks["pair"]["python"]


@pytest.mark.parametrize(
    ("kwargs", "expand"),
    [
        pytest.param(
            lambda: [{"x": 1, "y": 2}, {"x": 3, "y": 4}],
            {"items": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]},
            id="expand_kwargs over a literal list of dicts maps each dict",
        ),
        pytest.param(
            extract, {"fromTask": "extract"}, id="expand_kwargs over an XComArg maps its dicts"
        ),
    ],
)
def test_expand_kwargs_maps_each_dict_as_the_keyword_arguments(
    kwargs: Any, expand: dict[str, Any]
) -> None:
    with DAG("tf", schedule=None) as d:
        pair.expand_kwargs(kwargs())
    assert tasks_of(d)["pair"]["expand"] == expand


def test_xcomargs_and_dependencies_mix_with_classic_operators() -> None:
    with DAG("tf", schedule=None) as d:
        numbers = extract()
        echo = BashOperator(task_id="echo", bash_command=numbers)
        numbers >> BashOperator(task_id="after", bash_command="true")
    tasks = tasks_of(d)
    assert tasks["echo"] == {
        "name": "echo",
        "bash": '{{ ti.xcom_pull("extract") }}',
        "skipOnExitCode": [99],
        "dependsOn": ["extract"],
    }
    assert tasks["after"]["dependsOn"] == ["extract"]
    assert echo.output.expression() == 'ti.xcom_pull("echo")'


def test_the_dag_decorator_builds_a_dag_whose_parameters_are_params() -> None:
    @dag(schedule=None, tags=["x"])
    def pipeline(who: str = "world") -> None:
        """Say hello."""
        BashOperator(task_id="hello", bash_command=f"echo {who}")

    built = pipeline()
    assert built.dag_id == "pipeline"
    assert tasks_of(built)["hello"]["bash"] == "echo {{ params.who }}"
    spec = {
        k: v
        for k, v in __import__("kairflow.sdk", fromlist=["to_manifest"])
        .to_manifest(built)["spec"]
        .items()
        if k != "tasks"
    }
    assert spec == {"description": "Say hello.", "tags": ["x"], "params": {"who": "world"}}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: double.expand(x=[1], y=2),
            "needs a list or an XComArg",
            id="mapping two arguments, one of them a number",
        ),
        pytest.param(
            lambda: double.expand_kwargs([{"x": 1}, 2]),
            "item 1 is not a dict",
            id="expand_kwargs over a list that holds something else than dicts",
        ),
        pytest.param(
            lambda: double.partial(y=1).expand_kwargs([{"x": 1}]),
            "expand_kwargs\\(\\) after partial\\(\\) is not supported",
            id="expand_kwargs after partial",
        ),
        pytest.param(
            lambda: double.expand(x=3), "needs a list or an XComArg", id="mapping a number"
        ),
        pytest.param(
            lambda: double.expand(x=extract()["k"]),
            "a part of an XCom",
            id="mapping a part of an XCom",
        ),
    ],
)
def test_unsupported_mapping_is_an_error(build: Any, message: str) -> None:
    with DAG("tf", schedule=None), pytest.raises(SdkError, match=message):
        build()
