"""Tasks that skip themselves, as in Airflow 2.10: a BashOperator (or @task.bash) whose
command exits with one of `skip_on_exit_code` (default 99), a Python task that raises
AirflowSkipException. The manifest says which exit codes skip (`skipOnExitCode`); the
shipped runtime exits with SKIP_EXIT_CODE when the callable raises the exception."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kairflow.sdk import (
    DAG,
    AirflowSkipException,
    BashOperator,
    BranchPythonOperator,
    KubernetesPodOperator,
    PythonOperator,
    PythonSensor,
    SdkError,
    ShortCircuitOperator,
    task,
)
from kairflow.sdk.skipping import SKIP_EXIT_CODE
from tests.cli import kairflow
from tests.unit.sdk.helpers import run_python_task, tasks_of


def nothing() -> None:
    return None


def _bash(**kw: Any) -> DAG:
    with DAG("d", schedule=None, **kw.pop("dag", {})) as dag:
        BashOperator(task_id="t", bash_command="exit 99", **kw)
    return dag


def _task_bash(**kw: Any) -> DAG:
    @task.bash(**kw)
    def t() -> str:
        return "exit 99"

    with DAG("d", schedule=None) as dag:
        t()
    return dag


def _pod(**kw: Any) -> DAG:
    with DAG("d", schedule=None) as dag:
        KubernetesPodOperator(task_id="t", image="alpine", cmds=["false"], **kw)
    return dag


def _python(cls: type, **kw: Any) -> Callable[[], DAG]:
    def build() -> DAG:
        with DAG("d", schedule=None) as dag:
            cls(task_id="t", python_callable=nothing, **kw)
        return dag

    return build


def _decorated(kind: str) -> Callable[[], DAG]:
    def build() -> DAG:
        def t() -> None:
            return None

        with DAG("d", schedule=None) as dag:
            getattr(task, kind)(t)()
        return dag

    return build


@pytest.mark.parametrize(
    ("build", "codes"),
    [
        pytest.param(_bash, [99], id="a BashOperator skips on 99 by default"),
        pytest.param(lambda: _bash(skip_on_exit_code=3), [3], id="skip_on_exit_code as an int"),
        pytest.param(
            lambda: _bash(skip_on_exit_code=[4, 3, 4]), [3, 4], id="skip_on_exit_code as a list"
        ),
        pytest.param(
            lambda: _bash(skip_on_exit_code=None), None, id="skip_on_exit_code=None skips on none"
        ),
        pytest.param(
            lambda: _bash(dag={"default_args": {"skip_on_exit_code": None}}),
            None,
            id="default_args can turn it off for every BashOperator",
        ),
        pytest.param(
            _task_bash,
            sorted([99, SKIP_EXIT_CODE]),
            id="@task.bash skips on 99 and on AirflowSkipException",
        ),
        pytest.param(
            lambda: _task_bash(skip_on_exit_code=None),
            [SKIP_EXIT_CODE],
            id="@task.bash with None still skips on AirflowSkipException",
        ),
        pytest.param(_pod, None, id="a KubernetesPodOperator skips on nothing by default"),
        pytest.param(
            lambda: _pod(skip_on_exit_code=[3]), [3], id="a KubernetesPodOperator may skip on 3"
        ),
        pytest.param(
            _python(PythonOperator), [SKIP_EXIT_CODE], id="a PythonOperator skips on the exception"
        ),
        pytest.param(
            _python(BranchPythonOperator), [SKIP_EXIT_CODE], id="a branch skips on the exception"
        ),
        pytest.param(
            _python(ShortCircuitOperator),
            [SKIP_EXIT_CODE],
            id="a short-circuit skips on the exception",
        ),
        pytest.param(
            _python(PythonSensor), [SKIP_EXIT_CODE], id="a PythonSensor skips on the exception"
        ),
        pytest.param(_decorated("python"), [SKIP_EXIT_CODE], id="@task skips on the exception"),
        pytest.param(
            _decorated("sensor"), [SKIP_EXIT_CODE], id="@task.sensor skips on the exception"
        ),
    ],
)
def test_the_manifest_lists_the_exit_codes_that_skip(
    build: Callable[[], DAG], codes: list[int] | None
) -> None:
    assert tasks_of(build())["t"].get("skipOnExitCode") == codes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("99", "skip_on_exit_code must be an int", id="a string is refused"),
        pytest.param([99, "x"], "skip_on_exit_code must be an int", id="a non-int is refused"),
        pytest.param(0, "skipOnExitCode cannot hold 0", id="exit code 0 is refused"),
    ],
)
def test_a_bad_skip_on_exit_code_is_an_error(value: Any, message: str) -> None:
    with pytest.raises(SdkError, match=message):
        tasks_of(_bash(skip_on_exit_code=value))


def skips(ds: str) -> str:
    raise AirflowSkipException(f"nothing to do on {ds}")


class NothingToDo(AirflowSkipException):
    pass


def skips_with_a_subclass() -> None:
    raise NothingToDo("a subclass skips too")


def fails() -> None:
    raise ValueError("a plain error")


def exits_99() -> None:
    raise SystemExit(99)


@pytest.mark.parametrize(
    ("callable_", "exit_code", "says"),
    [
        pytest.param(
            skips,
            SKIP_EXIT_CODE,
            "AirflowSkipException: nothing to do on 2024-01-06; the task skips itself",
            id="raising AirflowSkipException exits with the skip code",
        ),
        pytest.param(
            skips_with_a_subclass,
            SKIP_EXIT_CODE,
            "NothingToDo: a subclass skips too",
            id="a subclass of AirflowSkipException skips too",
        ),
        pytest.param(fails, 1, "", id="another exception still fails the task"),
        pytest.param(exits_99, 99, "", id="a Python task exiting 99 is not a skip"),
    ],
)
def test_a_python_task_that_raises_the_skip_exception(
    tmp_path: Path, callable_: Callable[..., Any], exit_code: int, says: str
) -> None:
    with DAG("d", schedule=None) as dag:
        PythonOperator(task_id="t", python_callable=callable_)
    shipped = tasks_of(dag)["t"]
    ran = run_python_task(shipped, tmp_path)
    assert ran.exit_code == exit_code, ran.stderr
    assert says in ran.stdout
    assert (exit_code in shipped["skipOnExitCode"]) is (callable_ in (skips, skips_with_a_subclass))


def test_a_python_sensor_that_raises_the_skip_exception_exits_with_the_skip_code(
    tmp_path: Path,
) -> None:
    @task.sensor(poke_interval=1)
    def never() -> bool:
        raise AirflowSkipException("give up")

    with DAG("d", schedule=None) as dag:
        never()
    assert run_python_task(tasks_of(dag)["never"], tmp_path).exit_code == SKIP_EXIT_CODE


@pytest.mark.parametrize(
    ("weekend", "exit_code"),
    [
        pytest.param(False, SKIP_EXIT_CODE, id="@task.bash raising the exception skips"),
        pytest.param(True, 99, id="@task.bash whose command exits 99 exits 99"),
    ],
)
def test_task_bash_skips_by_exception_or_by_exit_code(
    tmp_path: Path, weekend: bool, exit_code: int
) -> None:
    @task.bash
    def sleep_in(day: str) -> str:
        if day == "saturday":
            return "echo sleeping; exit 99"
        raise AirflowSkipException("No sleeping in today!")

    with DAG("d", schedule=None) as dag:
        sleep_in(day="saturday" if weekend else "monday")
    shipped = tasks_of(dag)["sleep_in"]
    ran = run_python_task(shipped, tmp_path)
    assert ran.exit_code == exit_code, ran.stderr
    assert exit_code in shipped["skipOnExitCode"]


def test_dags_test_skips_a_python_task_and_runs_its_none_failed_downstream(
    tmp_path: Path,
) -> None:
    path = tmp_path / "skipping.py"
    path.write_text(
        textwrap.dedent(
            """
            from kairflow.sdk import DAG, AirflowSkipException, BashOperator, task

            @task
            def check():
                raise AirflowSkipException("nothing new")

            with DAG("skipping", schedule=None):
                c = check()
                c >> BashOperator(task_id="strict", bash_command="echo never")
                c >> BashOperator(
                    task_id="tolerant", bash_command="echo runs", trigger_rule="none_failed"
                )
                BashOperator(task_id="exits_99", bash_command="exit 99")
            """
        )
    )
    ran = kairflow("dags", "test", str(path), "-o", "json")
    assert ran.exit_code == 0, ran.stderr
    result = json.loads(ran.stdout)
    states = {k: v["state"] for k, v in result["tasks"].items()}
    assert states == {
        "check": "skipped",
        "strict": "skipped",
        "tolerant": "success",
        "exits_99": "skipped",
    }
    assert result["state"] == "success"
