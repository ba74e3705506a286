"""The shim modules: Airflow 2's names, read as a user of Airflow reads them."""

from __future__ import annotations

import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kairflow.airflow_import import import_file
from kairflow.airflow_import.finder import airflow_modules
from kairflow.airflow_import.names import days_ago_from

NOW = datetime(2024, 3, 10, 15, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param(
            (1,), datetime(2024, 3, 9, tzinfo=UTC), id="days_ago(1) is midnight UTC yesterday"
        ),
        pytest.param(
            (0,), datetime(2024, 3, 10, tzinfo=UTC), id="days_ago(0) is midnight UTC today"
        ),
        pytest.param(
            (2, 6, 30),
            datetime(2024, 3, 8, 6, 30, tzinfo=UTC),
            id="days_ago(2, hour, minute) sets the time",
        ),
    ],
)
def test_days_ago(arguments: tuple[int, ...], expected: datetime) -> None:
    assert days_ago_from(NOW, *arguments) == expected


def test_days_ago_of_the_shim_is_counted_from_now() -> None:
    with airflow_modules():
        from airflow.utils.dates import days_ago  # type: ignore[import-not-found]

        before = datetime.now(UTC)
        value = days_ago(1)
    assert value.tzinfo is not None and value.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert (value.hour, value.minute, value.second) == (0, 0, 0)
    assert 0 < (before - value).total_seconds() <= 2 * 86400


def _import(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "airflow_dag.py"
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return import_file(path)


def _spec(tmp_path: Path, body: str) -> dict[str, Any]:
    report = _import(tmp_path, body)
    assert report.error is None, report.error
    spec: dict[str, Any] = report.converted[0].manifest["spec"]
    return spec


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            """
            import pendulum
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator
            with DAG("d", schedule_interval="@daily",
                     start_date=pendulum.datetime(2021, 1, 1, tz="Europe/Paris")):
                EmptyOperator(task_id="a")
            """,
            {
                "schedule": "@daily",
                "timezone": "Europe/Paris",
                "startDate": "2020-12-31T23:00:00+00:00",
            },
            id="schedule_interval and a pendulum start_date with its zone",
        ),
        pytest.param(
            """
            from datetime import datetime, timedelta
            from airflow.models.dag import DAG
            from airflow.operators.bash import BashOperator
            from airflow.utils.trigger_rule import TriggerRule
            with DAG("d", schedule=None, start_date=datetime(2024, 1, 1),
                     default_args={"retries": 2, "retry_delay": timedelta(minutes=1),
                                   "depends_on_past": True}):
                BashOperator(task_id="a", bash_command="echo {{ ds }}",
                             ignore_first_depends_on_past=False,
                             trigger_rule=TriggerRule.ALL_DONE)
            """,
            {
                "defaults": {"retries": 2, "retryDelay": "1m", "dependsOnPast": True},
                "tasks": [
                    {
                        "name": "a",
                        "bash": "echo {{ ds }}",
                        "triggerRule": "all_done",
                        "ignoreFirstDependsOnPast": False,
                        "skipOnExitCode": [99],
                    }
                ],
            },
            id="default_args, a template and a TriggerRule member",
        ),
        pytest.param(
            """
            from airflow.models.dag import DAG
            from airflow.operators.empty import EmptyOperator
            from airflow.utils.edgemodifier import Label
            with DAG("d", schedule=None):
                a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
                a >> Label("why") >> b
            """,
            {"tasks": [{"name": "a"}, {"name": "b", "dependsOn": ["a"]}]},
            id="a Label between two tasks keeps the edge",
        ),
        pytest.param(
            """
            from airflow.decorators import dag, task, task_group
            from airflow.models.baseoperator import chain
            @dag(schedule=None)
            def d():
                @task
                def one():
                    return [1, 2]
                @task
                def double(x):
                    return 2 * x
                @task_group
                def g():
                    return double.expand(x=one())
                chain(g())
            d()
            """,
            {"tasks": ["g.one", "g.double"]},
            id="@dag, @task_group and expand over an upstream output",
        ),
        pytest.param(
            """
            from airflow.models.dag import DAG
            from airflow.operators.empty import EmptyOperator
            from airflow.utils.task_group import TaskGroup
            with DAG("d", schedule=None):
                start = EmptyOperator(task_id="start")
                with TaskGroup("section", tooltip="Tasks", default_args={"retries": 3}) as s:
                    with TaskGroup("inner", prefix_group_id=False):
                        EmptyOperator(task_id="t")
                start >> s
            """,
            {
                "groups": [
                    {"name": "section", "tooltip": "Tasks", "defaults": {"retries": 3}},
                    {"name": "inner", "group": "section", "prefixGroupId": False},
                ],
                "tasks": [
                    {"name": "start"},
                    {"name": "t", "group": "section.inner", "dependsOn": ["start"]},
                ],
            },
            id="a TaskGroup with a tooltip, default_args and a nested group without prefix",
        ),
    ],
)
def test_airflow_files_convert(tmp_path: Path, body: str, expected: dict[str, Any]) -> None:
    spec = _spec(tmp_path, body)
    for key, value in expected.items():
        if key == "tasks" and all(isinstance(v, str) for v in value):
            assert [t["name"] for t in spec["tasks"]] == value
        elif key == "tasks":
            assert spec["tasks"] == value
        else:
            assert spec[key] == value, key


def test_classic_operators_map_with_partial_and_expand(tmp_path: Path) -> None:
    report = _import(
        tmp_path,
        """
        from airflow.decorators import task
        from airflow.models.dag import DAG
        from airflow.operators.bash import BashOperator
        from airflow.operators.python import PythonOperator
        def add(x):
            return x + 1
        with DAG("d", schedule=None):
            @task
            def numbers():
                return [[1], [2]]
            echo = BashOperator.partial(task_id="echo", retries=1).expand(
                bash_command=["echo 1", "echo 2"])
            added = PythonOperator.partial(task_id="add", python_callable=add).expand(
                op_args=numbers())
            echo >> added
        """,
    )
    assert report.error is None, report.error
    (dag,) = report.converted
    assert dag.unconverted == []
    tasks = {t["name"]: t for t in dag.manifest["spec"]["tasks"]}
    assert {name: t.get("expand") for name, t in tasks.items()} == {
        "numbers": None,
        "echo": {"items": ["echo 1", "echo 2"]},
        "add": {"fromTask": "numbers"},
    }
    assert (tasks["echo"]["retries"], tasks["add"]["dependsOn"]) == (1, ["echo", "numbers"])


def test_the_shims_leave_no_airflow_module_behind_and_restore_what_was_there(
    tmp_path: Path,
) -> None:
    sentinel = type(sys)("airflow")
    sys.modules["airflow"] = sentinel
    try:
        body = """
            from airflow.models.dag import DAG
            from airflow.operators.empty import EmptyOperator
            with DAG("d", schedule=None):
                EmptyOperator(task_id="a")
            """
        first, second = _import(tmp_path, body), _import(tmp_path, body)
        assert sys.modules["airflow"] is sentinel
        assert not [m for m in sys.modules if m.startswith("airflow.")]
    finally:
        del sys.modules["airflow"]
    assert first.converted[0].manifest == second.converted[0].manifest
    assert "airflow" not in sys.modules
    assert not any(type(f).__name__ == "AirflowFinder" for f in sys.meta_path)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(
            """
            from airflow.models.variable import Variable
            x = Variable.get("x")
            """,
            "airflow_dag.py:2: RuntimeError: Airflow Variables are not available on Kairflow",
            id="Variable.get at parse time is refused naming the line",
        ),
        pytest.param(
            """
            from airflow.configuration import conf
            x = conf.get("core", "x")
            """,
            "airflow_dag.py:2: NotOnKairflow: airflow.configuration.conf.get is not available",
            id="another Airflow name used at parse time is a clear error",
        ),
    ],
)
def test_what_cannot_run_at_parse_time_stops_the_file(
    tmp_path: Path, body: str, problem: str
) -> None:
    report = _import(tmp_path, body)
    assert report.error is not None
    assert problem in str(report.error)


def test_airflows_slack_webhook_notifier_becomes_a_webhook_callback(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        """
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.bash import BashOperator
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        with DAG("alerts", start_date=datetime(2024, 1, 1), schedule=None,
                 on_failure_callback=SlackWebhookNotifier(text="{{ dag.dag_id }} failed")):
            BashOperator(task_id="a", bash_command="exit 1",
                         on_failure_callback=[SlackWebhookNotifier(slack_webhook_conn_id="ops")])
        """,
    )
    assert spec["onFailure"] == [
        {
            "name": "slack",
            "webhook": {
                "urlFrom": {"name": "slack-default", "key": "url"},
                "text": "{{ dag.dag_id }} failed",
            },
        }
    ]
    assert spec["tasks"][0]["onFailure"] == [
        {"name": "slack", "webhook": {"urlFrom": {"name": "ops", "key": "url"}}}
    ]
