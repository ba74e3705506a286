"""`>>`, `<<`, lists, chain and cross_downstream render into dependsOn as in Airflow."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kairflow.sdk import DAG, EmptyOperator, SdkError, chain, cross_downstream
from tests.unit.sdk.helpers import depends_on


def build(wire: Callable[..., None], names: str = "a b c d e f") -> DAG:
    with DAG("deps", schedule=None) as dag:
        tasks = {n: EmptyOperator(task_id=n) for n in names.split()}
        wire(**tasks)
    return dag


def upstream(**expected: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {name: [] for name in "abcdef"}
    out.update(expected)
    return out


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        pytest.param(lambda a, b, **_: a >> b, upstream(b=["a"]), id="a >> b makes b depend on a"),
        pytest.param(lambda a, b, **_: a << b, upstream(a=["b"]), id="a << b makes a depend on b"),
        pytest.param(
            lambda a, b, c, **_: a >> [b, c],
            upstream(b=["a"], c=["a"]),
            id="a >> [b, c] makes b and c depend on a",
        ),
        pytest.param(
            lambda a, b, c, **_: [a, b] >> c,
            upstream(c=["a", "b"]),
            id="[a, b] >> c makes c depend on a and b",
        ),
        pytest.param(
            lambda a, b, c, **_: [a, b] << c,
            upstream(a=["c"], b=["c"]),
            id="[a, b] << c makes a and b depend on c",
        ),
        pytest.param(
            lambda a, b, c, d, **_: a >> [b, c] >> d,
            upstream(b=["a"], c=["a"], d=["b", "c"]),
            id="a >> [b, c] >> d is a diamond",
        ),
        pytest.param(
            lambda a, b, c, **_: chain(a, b, c),
            upstream(b=["a"], c=["b"]),
            id="chain(a, b, c) is a line",
        ),
        pytest.param(
            lambda a, b, c, d, e, f: chain(a, [b, c], [d, e], f),
            upstream(b=["a"], c=["a"], d=["b"], e=["c"], f=["d", "e"]),
            id="chain pairs two lists side by side",
        ),
        pytest.param(
            lambda a, b, c, d, **_: cross_downstream([a, b], [c, d]),
            upstream(c=["a", "b"], d=["a", "b"]),
            id="cross_downstream links every pair",
        ),
        pytest.param(
            lambda a, b, **_: (a >> b, a >> b),
            upstream(b=["a"]),
            id="setting a dependency twice keeps one",
        ),
        pytest.param(
            lambda a, b, c, **_: (c.set_upstream(b), b.set_upstream(a)),
            upstream(b=["a"], c=["b"]),
            id="set_upstream is <<",
        ),
    ],
)
def test_dependencies(wire: Callable[..., None], expected: dict[str, list[str]]) -> None:
    assert depends_on(build(wire)) == expected


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        pytest.param(
            lambda a, b, c, **_: a >> b >> c >> a,
            "this dependency makes a cycle: c -> a -> b -> c",
            id="a cycle is refused where it closes",
        ),
        pytest.param(lambda a, **_: a >> a, "cycle: a -> a", id="a task cannot feed itself"),
        pytest.param(
            lambda a, b, c, **_: chain(a, [b, c], [a]),
            "lists side by side must have the same length (2 and 1)",
            id="chain of lists of different lengths",
        ),
        pytest.param(lambda a, **_: a >> "b", "not a task", id="a string is not a task"),
    ],
)
def test_wrong_dependencies_name_the_users_line(wire: Callable[..., None], message: str) -> None:
    with pytest.raises(SdkError) as error:
        build(wire)
    assert message in str(error.value)
    assert error.value.where.file == __file__


def test_tasks_of_two_dags_cannot_depend_on_each_other() -> None:
    with DAG("one", schedule=None):
        a = EmptyOperator(task_id="a")
    with DAG("two", schedule=None):
        b = EmptyOperator(task_id="b")
        with pytest.raises(SdkError, match="different DAGs"):
            a >> b
