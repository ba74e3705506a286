"""Setup and teardown tasks, latest-only and do_xcom_push, written as in Airflow."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from kairflow.airflow_import import import_file
from kairflow.sdk import (
    DAG,
    BashOperator,
    EmptyOperator,
    LatestOnlyOperator,
    SdkError,
    setup,
    task,
    teardown,
)
from tests.unit.sdk.helpers import tasks_of


def _nothing() -> None:
    pass


def _teardown_with_a_trigger_rule() -> None:
    teardown(task(_nothing, task_id="t").override(trigger_rule="all_success"))()


def roles(dag: DAG) -> dict[str, dict[str, Any]]:
    keys = ("setup", "teardown", "onFailureFailDagrun", "dependsOn", "triggerRule")
    return {
        name: {k: v for k, v in spec.items() if k in keys and v}
        for name, spec in tasks_of(dag).items()
    }


def test_as_teardown_with_setups_marks_and_wires_the_setup() -> None:
    with DAG("cluster", schedule=None) as dag:
        create = BashOperator(task_id="create", bash_command="echo create")
        work = BashOperator(task_id="work", bash_command="echo work")
        delete = BashOperator(task_id="delete", bash_command="echo delete", trigger_rule="all_done")
        create >> work >> delete.as_teardown(setups=create, on_failure_fail_dagrun=True)
    assert roles(dag) == {
        "create": {"setup": True},
        "work": {"dependsOn": ["create"]},
        "delete": {"teardown": True, "onFailureFailDagrun": True, "dependsOn": ["create", "work"]},
    }


def test_as_setup_and_as_teardown_on_taskflow_results() -> None:
    @task
    def create() -> str:
        return "id"

    @task
    def work(cluster: str) -> None:
        print(cluster)

    @task
    def delete(cluster: str) -> None:
        print(cluster)

    with DAG("taskflow", schedule=None) as dag:
        cluster = create().as_setup()
        work(cluster) >> delete(cluster).as_teardown()
    assert roles(dag) == {
        "create": {"setup": True},
        "work": {"dependsOn": ["create"]},
        "delete": {"teardown": True, "dependsOn": ["create", "work"]},
    }


def test_the_setup_and_teardown_decorators() -> None:
    @setup
    def create() -> str:
        return "id"

    @teardown(on_failure_fail_dagrun=True)
    def delete(cluster: str) -> None:
        print(cluster)

    @task.bash
    def work() -> str:
        return "echo work"

    with DAG("decorated", schedule=None) as dag:
        cluster = create()
        cluster >> work() >> delete(cluster)
    assert roles(dag) == {
        "create": {"setup": True},
        "work": {"dependsOn": ["create"]},
        "delete": {"teardown": True, "onFailureFailDagrun": True, "dependsOn": ["create", "work"]},
    }


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: EmptyOperator(task_id="a").as_setup().as_teardown(),
            "cannot mark task 'a' as teardown: it is a setup",
            id="a setup cannot become a teardown",
        ),
        pytest.param(
            _teardown_with_a_trigger_rule,
            "a teardown's trigger rule cannot be set",
            id="a decorated teardown's trigger rule cannot be set",
        ),
    ],
)
def test_what_airflow_refuses(build: Any, message: str) -> None:
    with DAG("bad", schedule=None), pytest.raises(SdkError, match=message):
        build()


def test_on_failure_fail_dagrun_needs_a_teardown() -> None:
    with DAG("bad", schedule=None) as dag:
        EmptyOperator(task_id="a").on_failure_fail_dagrun = True
    with pytest.raises(SdkError, match="it is not a teardown task"):
        tasks_of(dag)


def test_latest_only_and_do_xcom_push() -> None:
    with DAG("latest", schedule=None) as dag:
        latest = LatestOnlyOperator(task_id="latest_only")
        latest >> BashOperator(task_id="quiet", bash_command="echo x", do_xcom_push=False)
    tasks = tasks_of(dag)
    assert tasks["latest_only"]["latestOnly"] is True
    assert tasks["quiet"]["doXcomPush"] is False


def test_an_airflow_file_with_setup_teardown_and_latest_only_imports(tmp_path: Path) -> None:
    path = tmp_path / "airflow_dag.py"
    path.write_text(
        textwrap.dedent(
            """
            import pendulum
            from airflow import DAG
            from airflow.decorators import setup, task, teardown
            from airflow.operators.bash import BashOperator
            from airflow.operators.latest_only import LatestOnlyOperator

            @setup
            def create():
                return "cluster-1"

            @teardown
            def delete(cluster):
                print("deleting", cluster)

            with DAG("st", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1)):
                cluster = create()
                latest = LatestOnlyOperator(task_id="latest_only")
                work = BashOperator(task_id="work", bash_command="echo work")
                cluster >> latest >> work >> delete(cluster)
            """
        )
    )
    report = import_file(path)
    assert report.error is None, report.error
    tasks = {t["name"]: t for t in report.converted[0].manifest["spec"]["tasks"]}
    assert tasks["create"]["setup"] is True
    assert tasks["delete"]["teardown"] is True and tasks["delete"]["dependsOn"] == [
        "create",
        "work",
    ]
    assert tasks["latest_only"]["latestOnly"] is True


def test_a_teardown_as_a_context_manager_wraps_the_work_created_inside() -> None:
    @setup
    def create() -> str:
        return "id"

    @teardown
    def delete(cluster: str) -> None:
        print(cluster)

    with DAG("ctx", schedule=None) as dag:
        with delete(create()):
            first = EmptyOperator(task_id="first")
            first >> EmptyOperator(task_id="second")
        EmptyOperator(task_id="after")
    assert roles(dag) == {
        "create": {"setup": True},
        "first": {"dependsOn": ["create"]},
        "second": {"dependsOn": ["first"]},
        "delete": {"teardown": True, "dependsOn": ["create", "second"]},
        "after": {},
    }


def test_a_setup_as_a_context_manager_feeds_the_work_and_its_teardown() -> None:
    with DAG("ctx", schedule=None) as dag:
        create = EmptyOperator(task_id="create").as_setup()
        EmptyOperator(task_id="delete").as_teardown(setups=create)
        with create:
            EmptyOperator(task_id="work")
    assert roles(dag)["work"] == {"dependsOn": ["create"]}
    assert roles(dag)["delete"]["dependsOn"] == ["create", "work"]


def test_only_setups_and_teardowns_are_context_managers() -> None:
    with (
        DAG("ctx", schedule=None),
        pytest.raises(SdkError, match="only setup and teardown"),
        EmptyOperator(task_id="plain"),
    ):
        pass
