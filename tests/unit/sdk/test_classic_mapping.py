"""Classic operators' mapping, `Operator.partial(...).expand(name=...)`: the manifest,
and each mapped instance's command or script rendered by the engine and run for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kairflow.sdk import (
    DAG,
    BashOperator,
    EmptyOperator,
    KubernetesPodOperator,
    PythonOperator,
    SdkError,
    TaskGroup,
    task,
)
from tests.unit.sdk.helpers import (
    depends_on,
    rendered_args,
    run_bash_task,
    run_python_task,
    tasks_of,
)


@task
def commands() -> list[str]:
    return ["echo one"]


def add(x: int, y: int = 10) -> int:
    return x + y


def greet(who: str, day: str = "") -> str:
    return f"hello {who} {day}".strip()


def mapped_task(build: Callable[[], Any], name: str) -> dict[str, Any]:
    with DAG("d", schedule=None) as dag:
        build()
    return tasks_of(dag)[name]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(
            lambda: BashOperator.partial(task_id="t", retries=2).expand(
                bash_command=["echo 1", "echo 2"]
            ),
            {"retries": 2, "bash": "{{ item }}", "expand": {"items": ["echo 1", "echo 2"]}},
            id="bash commands of a literal list are each instance's item",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(bash_command=commands()),
            {"bash": "{{ item }}", "expand": {"fromTask": "commands"}, "dependsOn": ["commands"]},
            id="bash commands from an upstream task's output map over its XCom",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(
                bash_command=commands.override(task_id="listing")().operator.output
            ),
            {"expand": {"fromTask": "listing"}, "dependsOn": ["listing"]},
            id="an operator's .output maps over its XCom",
        ),
        pytest.param(
            lambda: PythonOperator.partial(task_id="t", python_callable=add).expand(
                op_kwargs=[{"x": 1}, {"x": 2}]
            ),
            {"expand": {"items": [{"x": 1}, {"x": 2}]}, "skipOnExitCode": [98]},
            id="python op_kwargs of a literal list",
        ),
        pytest.param(
            lambda: KubernetesPodOperator.partial(
                task_id="t", image="alpine", cmds=["echo"]
            ).expand(arguments=[["a", "b"], ["c", "d"]]),
            {"command": ["echo"], "args": ["{{ item[0] }}", "{{ item[1] }}"]},
            id="pod arguments of one length read their item by position",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand_kwargs(
                [{"bash_command": "echo 1"}, {"bash_command": "echo 2"}]
            ),
            {"bash": "{{ item }}", "expand": {"items": ["echo 1", "echo 2"]}},
            id="expand_kwargs with one same key maps that key",
        ),
    ],
)
def test_the_mapped_task_in_the_manifest(
    build: Callable[[], Any], expected: dict[str, Any]
) -> None:
    shipped = mapped_task(build, "t")
    assert {key: shipped.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    ("build", "items", "outputs"),
    [
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(bash_command=["echo one", "echo two"]),
            None,
            ["one\n", "two\n"],
            id="each instance runs its own command",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(
                bash_command=["echo plain", "echo '{{ ds }} #{{ map_index }}'"]
            ),
            None,
            ["plain\n", "2024-01-06 #1\n"],
            id="templates in a literal list's commands are rendered as Airflow renders them",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(bash_command=commands()),
            ["echo '{{ ds }}'", "echo two"],
            ["{{ ds }}\n", "two\n"],
            id="commands from an upstream XCom are values, never rendered (as in Airflow)",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command='echo "$WHO $DAY"').expand(
                env=[{"WHO": "it's me", "DAY": "{{ ds }}"}, {"WHO": "$HOME"}]
            ),
            None,
            ["it's me 2024-01-06\n", "$HOME \n"],
            id="a literal env per instance is exported quoted, its templates rendered",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command='echo "$WHO"').expand(
                env=[{"WHO": "it's"}, {"WHO": "`date`"}]
            ),
            None,
            ["it's\n", "`date`\n"],
            id="a literal env without templates is exported quoted",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command='echo "$WHO $N"').expand(
                env=commands()
            ),
            [{"WHO": "it's {{ ds }}", "N": 3}, {"WHO": "$(id)"}],
            ["it's {{ ds }} 3\n", "$(id) \n"],
            id="an env per instance from an upstream XCom is exported as it is",
        ),
    ],
)
def test_each_bash_instance_runs_its_item(
    tmp_path: Path, build: Callable[[], Any], items: list[Any] | None, outputs: list[str]
) -> None:
    shipped = mapped_task(build, "t")
    items = items if items is not None else shipped["expand"]["items"]
    ran = [run_bash_task(shipped, tmp_path, map_index=i, item=item) for i, item in enumerate(items)]
    assert [(r.exit_code, r.stdout) for r in ran] == [(0, out) for out in outputs], [
        r.stderr for r in ran
    ]


@pytest.mark.parametrize(
    ("build", "items", "xcoms"),
    [
        pytest.param(
            lambda: PythonOperator.partial(task_id="t", python_callable=add).expand(
                op_kwargs=[{"x": 1}, {"x": 2, "y": 5}]
            ),
            None,
            [11, 7],
            id="op_kwargs of a literal list are each instance's keyword arguments",
        ),
        pytest.param(
            lambda: PythonOperator.partial(task_id="t", python_callable=add).expand(
                op_args=[[1], [2, 3]]
            ),
            None,
            [11, 5],
            id="op_args of a literal list are each instance's positional arguments",
        ),
        pytest.param(
            lambda: PythonOperator.partial(task_id="t", python_callable=greet).expand(
                op_kwargs=[{"who": "ann"}, {"who": "bob", "day": "{{ ds }}"}]
            ),
            None,
            ["hello ann", "hello bob 2024-01-06"],
            id="templates in a literal list's op_kwargs are rendered as Airflow renders them",
        ),
        pytest.param(
            lambda: PythonOperator.partial(task_id="t", python_callable=greet).expand(
                op_args=commands()
            ),
            [["{{ ds }}"], ["bob", "monday"]],
            ["hello {{ ds }}", "hello bob monday"],
            id="op_args from an upstream XCom are values, never rendered (as in Airflow)",
        ),
    ],
)
def test_each_python_instance_calls_with_its_item(
    tmp_path: Path, build: Callable[[], Any], items: list[Any] | None, xcoms: list[Any]
) -> None:
    shipped = mapped_task(build, "t")
    items = items if items is not None else shipped["expand"]["items"]
    ran = [
        run_python_task(shipped, tmp_path, map_index=i, item=item) for i, item in enumerate(items)
    ]
    assert [(r.exit_code, r.xcom) for r in ran] == [(0, x) for x in xcoms], [r.stderr for r in ran]


@pytest.mark.parametrize(
    ("mapped", "item", "message"),
    [
        pytest.param("op_args", 5, "op_args must be a list, not int: 5", id="op_args not a list"),
        pytest.param(
            "op_kwargs", [1], "op_kwargs must be a dict, not list: [1]", id="op_kwargs not a dict"
        ),
    ],
)
def test_an_upstream_item_of_the_wrong_kind_fails_the_instance_clearly(
    tmp_path: Path, mapped: str, item: Any, message: str
) -> None:
    shipped = mapped_task(
        lambda: PythonOperator.partial(task_id="t", python_callable=add).expand(
            **{mapped: commands()}
        ),
        "t",
    )
    ran = run_python_task(shipped, tmp_path, map_index=0, item=item)
    assert ran.exit_code == 1
    assert message in ran.stderr


def test_pod_arguments_holding_templates_are_rendered_per_instance() -> None:
    shipped = mapped_task(
        lambda: KubernetesPodOperator.partial(task_id="t", image="alpine", cmds=["echo"]).expand(
            arguments=[["a", "{{ ds }}"], ["{{ map_index }}", "d"]]
        ),
        "t",
    )
    items = shipped["expand"]["items"]
    assert [rendered_args(shipped, map_index=i, item=x) for i, x in enumerate(items)] == [
        ["a", "2024-01-06"],
        ["1", "d"],
    ]


def adds_up(values: list[int]) -> int:
    return sum(values)


def test_a_mapped_task_takes_part_in_dependencies_groups_and_xcoms(tmp_path: Path) -> None:
    with DAG("d", schedule=None) as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("g"):
            added = PythonOperator.partial(task_id="add", python_callable=add).expand(
                op_args=[[1], [2]]
            )
        PythonOperator(task_id="total", python_callable=adds_up, op_args=[added.output])
        start >> added
    tasks = tasks_of(dag)
    assert depends_on(dag) == {"start": [], "g.add": ["start"], "total": ["g.add"]}
    assert tasks["g.add"]["expand"] == {"items": [[1], [2]]}
    ran = run_python_task(tasks["total"], tmp_path, xcoms={"g.add": [11, 12]})
    assert ran.xcom == 23, ran.stderr


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(
                bash_command=["echo {{ ds }}"], env=[{"A": "1"}]
            ),
            "rendered per item only when one argument is mapped",
            id="mapping two arguments, one a literal list holding templates",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command="x").expand(retries=[1, 2]),
            "Kairflow maps only bash_command or env of BashOperator",
            id="mapping an argument the operator cannot read per instance",
        ),
        pytest.param(
            lambda: EmptyOperator.partial(task_id="t").expand(x=[1, 2]),
            "EmptyOperator has no argument Kairflow can map",
            id="mapping an EmptyOperator",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command="x").expand(bash_command=["y"]),
            "bash_command is already given to partial()",
            id="mapping an argument partial() already gives",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(bash_command="echo"),
            "needs a list or an XComArg",
            id="mapping a string",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand(bash_command=["echo", 3]),
            "bash_command item 1 must be a string, not 3",
            id="mapping a command that is not a string",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command="x").expand(env=[["A", "1"]]),
            "env item 0 must be a dict",
            id="mapping an env that is not a dict",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t", bash_command="x").expand(
                env=[{"MY-VAR": "1"}]
            ),
            "'MY-VAR' is not a name",
            id="mapping an env whose name the shell cannot export",
        ),
        pytest.param(
            lambda: PythonOperator.partial(task_id="t", python_callable=add).expand(
                op_args=[[object()]]
            ),
            "is not a JSON value",
            id="mapping a list holding a Python object",
        ),
        pytest.param(
            lambda: KubernetesPodOperator.partial(task_id="t", image="a", cmds=["x"]).expand(
                arguments=commands()
            ),
            "not over an upstream XCom",
            id="mapping pod arguments over an upstream XCom",
        ),
        pytest.param(
            lambda: KubernetesPodOperator.partial(task_id="t", image="a", cmds=["x"]).expand(
                arguments=[["a"], ["b", "c"]]
            ),
            "all of the same length",
            id="mapping pod arguments of different lengths",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand_kwargs(
                [{"bash_command": "a"}, {"env": {"A": "1"}}]
            ),
            "only over a literal list of dicts that all have the same keys",
            id="expand_kwargs over different keys",
        ),
        pytest.param(
            lambda: BashOperator.partial(task_id="t").expand_kwargs(commands()),
            "expand_kwargs() only over a literal list",
            id="expand_kwargs over an upstream XCom",
        ),
        pytest.param(
            lambda: BashOperator.partial(retries=1),
            "BashOperator.partial() needs a task_id",
            id="partial without a task_id",
        ),
    ],
)
def test_what_cannot_be_mapped_is_an_error_naming_the_users_line(
    build: Callable[[], Any], message: str
) -> None:
    with DAG("d", schedule=None), pytest.raises(SdkError) as error:
        build()
    assert message in str(error.value)
    assert error.value.where.file == __file__
