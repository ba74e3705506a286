"""A Python callable shipped in a `python:` task, rendered by the engine's own
templating and run for real with `python -c`: its arguments, its Airflow context,
the names it needs from its module, and its return value as the XCom."""

from __future__ import annotations

import json
import logging
import math
import os.path as osp
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kairflow.sdk import (
    DAG,
    BranchPythonOperator,
    PokeReturnValue,
    PythonOperator,
    PythonSensor,
    SdkError,
    task,
)
from kairflow.sdk.shipping.names import SHIPPED_SOURCE, Unshippable
from tests.unit.sdk.helpers import Ran, run_python_task, tasks_of

LIMIT = {"max": 3, "names": ["a", "b"]}


def _shout(text: str) -> str:
    return text.upper() + "!"


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def bump(self) -> int:
        self.value += LIMIT["max"]
        return self.value


def _decorate(function: Callable[..., Any]) -> Callable[..., Any]:
    return function


def run(
    callable_: Callable[..., Any], tmp_path: Path, *, upstream: bool = False, **kwargs: Any
) -> Ran:
    """Ship `callable_` as task `t` (after a task `up` that pushed 41) and run it."""
    options = {k: kwargs.pop(k) for k in ("op_args", "op_kwargs", "templates_dict") if k in kwargs}
    with DAG("d", schedule=None, params={"size": 2}) as dag:
        task_ = PythonOperator(task_id="t", python_callable=callable_, **options)
        if upstream:
            PythonOperator(task_id="up", python_callable=_shout, op_args=["x"]) >> task_
    kwargs.setdefault("params", {"size": 2})
    return run_python_task(tasks_of(dag)["t"], tmp_path, xcoms={"up": 41}, **kwargs)


def returns_dict() -> dict[str, Any]:
    return {"n": 1, "s": "é"}


def uses_helpers() -> list[Any]:
    base = osp.basename("/a/b")  # noqa: PTH119 (a module imported under another name)
    return [_shout("hi"), Counter(1).bump(), base, math.floor(2.5), LIMIT["names"]]


def takes_args(a: int, b: str, *, c: Any = None) -> list[Any]:
    return [a, b, c]


def takes_context_names(
    ds: str, params: dict[str, Any], dag_run: Any, run_id: str, task_instance_key_str: str
) -> list[Any]:
    return [ds, params, dag_run.conf, run_id, task_instance_key_str]


def takes_all_context(**context: Any) -> list[Any]:
    ti = context["ti"]
    return [
        context["ds_nodash"],
        ti.xcom_pull("up"),
        ti.xcom_pull(["up"]),
        context["logical_date"].year,
    ]


def returns_nothing() -> None:
    print("side effect only")


def uses_templates_dict(templates_dict: dict[str, Any]) -> str:
    return str(templates_dict["when"])


def has_endraw_in_its_source() -> str:
    return "{% endraw %} and {{ not a template }} and {%raw%}"


@_decorate
def decorated() -> str:
    return "decorators are stripped"


@pytest.mark.parametrize(
    ("callable_", "options", "xcom"),
    [
        pytest.param(returns_dict, {}, {"n": 1, "s": "é"}, id="the return value is the XCom"),
        pytest.param(
            uses_helpers,
            {},
            ["HI!", 4, "b", 2, ["a", "b"]],
            id="helpers, classes, modules and constants of the file are shipped",
        ),
        pytest.param(
            takes_args,
            {
                "op_args": [1, "{{ ds }}"],
                "op_kwargs": {"c": {"k": ["{{ params.size * 2 }}", None]}},
            },
            [1, "2024-01-06", {"k": ["4", None]}],
            id="op_args and op_kwargs strings are rendered like Airflow's templates",
        ),
        pytest.param(
            takes_args,
            {"op_args": ['{{ "\\" \\\\ \\n" }}', "{{ '\\U0001f600' }}"]},
            ['" \\ \n', "\U0001f600", None],
            id="rendered text with quotes, backslashes and emoji reaches Python intact",
        ),
        pytest.param(
            takes_context_names,
            {"conf": {"x": 1}},
            [
                "2024-01-06",
                {"size": 2, "x": 1},
                {"x": 1},
                "manual__2024-01-06T00:00:00+00:00",
                "d__t__20240106",
            ],
            id="context names the callable declares are passed, conf over params",
        ),
        pytest.param(
            takes_all_context,
            {"upstream": True},
            ["20240106", 41, [41], 2024],
            id="**context gets everything, xcom_pull reads upstream XComs",
        ),
        pytest.param(returns_nothing, {}, None, id="returning None pushes no XCom"),
        pytest.param(
            uses_templates_dict,
            {"templates_dict": {"when": "{{ ts }}"}},
            "2024-01-06T00:00:00+00:00",
            id="templates_dict is rendered and passed",
        ),
        pytest.param(
            has_endraw_in_its_source,
            {},
            "{% endraw %} and {{ not a template }} and {%raw%}",
            id="source holding endraw and braces is shipped verbatim",
        ),
        pytest.param(
            decorated, {}, "decorators are stripped", id="the callable's decorators are stripped"
        ),
    ],
)
def test_a_shipped_callable_runs_and_pushes_its_xcom(
    tmp_path: Path, callable_: Callable[..., Any], options: dict[str, Any], xcom: Any
) -> None:
    ran = run(callable_, tmp_path, **options)
    assert ran.exit_code == 0, ran.stderr
    assert ran.xcom == xcom


def too_big() -> str:
    return "x" * (1024 * 1024)


def not_json() -> object:
    return {1, 2}


def calls_xcom_push(ti: Any) -> None:
    ti.xcom_push("k", 1)


@pytest.mark.parametrize(
    ("callable_", "message"),
    [
        pytest.param(
            too_big,
            "an XCom is at most 1048576 bytes (1 MiB)",
            id="an XCom over 1 MiB fails clearly",
        ),
        pytest.param(not_json, "it is not JSON", id="a value that is not JSON fails clearly"),
        pytest.param(
            calls_xcom_push, "xcom_push is not supported", id="xcom_push says it is not supported"
        ),
    ],
)
def test_a_bad_return_value_fails_the_task_with_a_clear_message(
    tmp_path: Path, callable_: Callable[..., Any], message: str
) -> None:
    ran = run(callable_, tmp_path)
    assert ran.exit_code == 1
    assert message in ran.stderr
    assert ran.xcom is None


def test_a_branch_returns_the_task_ids_to_follow(tmp_path: Path) -> None:
    def choose(ds: str) -> str:
        return "weekend" if ds == "2024-01-06" else "weekday"

    with DAG("d", schedule=None) as dag:
        BranchPythonOperator(task_id="choose", python_callable=choose)
    shipped = tasks_of(dag)["choose"]
    assert shipped["branch"] is True
    assert run_python_task(shipped, tmp_path).xcom == "weekend"


@pytest.mark.parametrize(
    ("item", "exit_code", "xcom"),
    [
        pytest.param(5, 0, 5, id="a sensor whose condition is met exits 0 with its XCom"),
        pytest.param(1, 100, None, id="a sensor whose condition is not met exits 100"),
    ],
)
def test_a_python_sensor_pokes(tmp_path: Path, item: int, exit_code: int, xcom: Any) -> None:
    @task.sensor(poke_interval=5, timeout=60, mode="reschedule")
    def ready(n: int) -> PokeReturnValue:
        return PokeReturnValue(is_done=n > 3, xcom_value=n)

    with DAG("d", schedule=None) as dag:
        ready.expand(n=[item])
    shipped = tasks_of(dag)["ready"]
    assert shipped["sensor"] == {"pokeInterval": "5s", "timeout": "1m", "mode": "reschedule"}
    ran = run_python_task(shipped, tmp_path, map_index=0, item=item)
    assert (ran.exit_code, ran.xcom) == (exit_code, xcom), ran.stderr


def test_a_python_sensor_operator_pokes_its_callable(tmp_path: Path) -> None:
    with DAG("d", schedule=None) as dag:
        PythonSensor(task_id="s", python_callable=lambda_free_false, poke_interval=1)
    ran = run_python_task(tasks_of(dag)["s"], tmp_path)
    assert ran.exit_code == 100


def lambda_free_false() -> bool:
    return False


def test_task_bash_runs_the_command_the_function_returns(tmp_path: Path) -> None:
    @task.bash
    def hello(who: str) -> str:
        return f'echo "hello {who}"; exit 3'

    with DAG("d", schedule=None) as dag:
        hello("{{ ds }}")
    ran = run_python_task(tasks_of(dag)["hello"], tmp_path)
    assert (ran.exit_code, ran.stdout) == (3, "hello 2024-01-06\n")


@pytest.mark.parametrize(
    ("command", "xcom"),
    [
        pytest.param("echo one; echo 'two  '", "two", id="the last line of stdout, stripped"),
        pytest.param(
            'echo \'{"n": 1}\' > "$KAIRFLOW_XCOM_FILE"; echo done',
            {"n": 1},
            id="an XCom the command wrote itself wins",
        ),
        pytest.param("echo one; exit 99", None, id="a skipped command pushes nothing"),
    ],
)
def test_task_bash_pushes_the_last_line_of_stdout(tmp_path: Path, command: str, xcom: Any) -> None:
    @task.bash
    def last() -> str:
        return command

    with DAG("d", schedule=None) as dag:
        last()
    assert run_python_task(tasks_of(dag)["last"], tmp_path).xcom == xcom


def test_a_mapped_task_gets_its_item_and_reads_upstream_xcoms(tmp_path: Path) -> None:
    @task
    def scale(x: int, factor: int) -> int:
        return x * factor

    @task
    def numbers() -> list[int]:
        return [1, 2]

    with DAG("d", schedule=None) as dag:
        scale.partial(factor=numbers()).expand(x=[10, 20])
    ran = run_python_task(
        tasks_of(dag)["scale"], tmp_path, xcoms={"numbers": 3}, map_index=1, item=20
    )
    assert ran.xcom == 60, ran.stderr


UNSHIPPABLE = object()


def uses_an_object() -> str:
    return str(UNSHIPPABLE)


def test_a_callable_that_cannot_be_shipped_is_an_error_naming_its_line_and_the_name() -> None:
    with DAG("d", schedule=None) as dag:
        PythonOperator(task_id="t", python_callable=uses_an_object)
    with pytest.raises(SdkError) as error:
        tasks_of(dag)
    assert "uses 'UNSHIPPABLE' (object), which cannot be shipped" in str(error.value)
    assert error.value.where.file == __file__
    assert error.value.where.line == uses_an_object.__code__.co_firstlineno


OFFSET = 2
add_offset = lambda x: x + OFFSET  # noqa: E731 (a module-level lambda, as DAG files have)


@pytest.mark.parametrize(
    ("callable_", "options", "xcom"),
    [
        pytest.param(lambda: 1, {}, 1, id="a lambda passed as the callable runs as the task"),
        pytest.param(
            lambda ds: f"day {ds}", {}, "day 2024-01-06", id="a lambda asking for ds gets it"
        ),
        pytest.param(
            lambda x: add_offset(x) * 10,
            {"op_args": [1]},
            30,
            id="a lambda using a module-level lambda and constant gets both shipped",
        ),
        pytest.param(
            lambda **kw: sorted(kw["params"]), {}, ["size"], id="a lambda taking **context"
        ),
    ],
)
def test_a_lambda_is_shipped_as_its_own_text(
    tmp_path: Path, callable_: Callable[..., Any], options: dict[str, Any], xcom: Any
) -> None:
    ran = run(callable_, tmp_path, **options)
    assert ran.exit_code == 0, ran.stderr
    assert ran.xcom == xcom


def test_two_lambdas_on_one_line_are_told_apart_by_position(tmp_path: Path) -> None:
    first, second = (lambda: "first"), (lambda: "second")
    with DAG("d", schedule=None) as dag:
        PythonOperator(task_id="t", python_callable=second)
    script = tasks_of(dag)["t"]["python"]
    assert '_kf_lambda = lambda: "second"' in script and '"first"' not in script
    assert run_python_task(tasks_of(dag)["t"], tmp_path).xcom == "second" != first()


def test_the_script_reads_the_environment_not_the_machine_that_rendered_it(tmp_path: Path) -> None:
    """The shipped code carries no value of the rendering machine (paths, env)."""
    with DAG("d", schedule=None) as dag:
        PythonOperator(task_id="t", python_callable=returns_dict)
    script = tasks_of(dag)["t"]["python"]
    assert str(Path.cwd()) not in script and str(Path.home()) not in script
    assert json.dumps(returns_dict()) not in script


class StandInError(Exception):
    """A library's class the task has no copy of: it carries the source it ships as."""


setattr(StandInError, SHIPPED_SOURCE, "class StandInError(Exception):\n    pass\n")


class ServiceHook:
    """A library's class that can never run in a task."""


setattr(ServiceHook, SHIPPED_SOURCE, Unshippable("hooks need a connection"))
StandInAlias = StandInError


def raises_a_stand_in() -> None:
    raise StandInAlias("stopped")


def uses_a_hook() -> str:
    return str(ServiceHook())


def test_a_class_carrying_its_shipped_source_is_shipped_as_that_source(tmp_path: Path) -> None:
    ran = run(raises_a_stand_in, tmp_path)
    assert ran.exit_code == 1
    assert "StandInError: stopped" in ran.stderr
    assert "class StandInError(Exception):\n    pass\nStandInAlias = StandInError" in (
        tasks_of_callable(raises_a_stand_in)
    )


def test_an_unshippable_value_is_an_error_with_its_reason() -> None:
    with pytest.raises(SdkError, match="uses_a_hook uses 'ServiceHook': hooks need a connection"):
        tasks_of_callable(uses_a_hook)


def tasks_of_callable(callable_: Callable[..., Any]) -> str:
    with DAG("d", schedule=None) as dag:
        PythonOperator(task_id="t", python_callable=callable_)
    script: str = tasks_of(dag)["t"]["python"]
    return script


LOG = logging.getLogger("my.dag.module")


def logs_a_line() -> str:
    LOG.warning("hello from the task")
    return LOG.name


def test_a_module_logger_is_shipped_as_the_same_named_logger(tmp_path: Path) -> None:
    ran = run(logs_a_line, tmp_path)
    assert ran.exit_code == 0, ran.stderr
    assert ran.xcom == "my.dag.module"
    assert "hello from the task" in ran.stderr
