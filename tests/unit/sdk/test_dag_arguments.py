"""DAG(...) arguments, default_args and BaseOperator arguments, by Airflow's names,
become the manifest's fields."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pendulum
import pytest

from kairflow.sdk import (
    DAG,
    BashOperator,
    BashSensor,
    CronTriggerTimetable,
    EmptyOperator,
    Param,
    SdkError,
    UnconvertibleTask,
)
from tests.unit.sdk.helpers import manifest_of, tasks_of

START = datetime(2020, 1, 1)


def spec_of(**dag_args: Any) -> dict[str, Any]:
    """The spec without its tasks; a scheduled DAG needs a start date, which is left
    out of the result when the row gives none."""
    given = "start_date" in dag_args or "start_date" in dag_args.get("default_args", {})
    with DAG("args", **({} if given else {"start_date": START}), **dag_args) as dag:
        EmptyOperator(task_id="a")
    spec = manifest_of(dag)["spec"]
    spec.pop("tasks")
    if not given:
        assert spec.pop("startDate") == "2020-01-01T00:00:00+00:00"
    return spec


PARIS = ZoneInfo("Europe/Paris")


class _PendulumLikeZone(tzinfo):
    """What pendulum's Timezone offers: a tzinfo with an IANA `.name`."""

    name = "Asia/Tokyo"

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=9)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


@pytest.mark.parametrize(
    ("dag_args", "expected"),
    [
        pytest.param({"schedule": None}, {}, id="schedule None runs only manually"),
        pytest.param({}, {"schedule": "1d"}, id="no schedule is Airflow 2's one day"),
        pytest.param(
            {"schedule": "0 3 * * *"}, {"schedule": "0 3 * * *"}, id="a cron expression is kept"
        ),
        pytest.param({"schedule": "@daily"}, {"schedule": "@daily"}, id="a preset is kept"),
        pytest.param(
            {"schedule": timedelta(hours=1, minutes=30)},
            {"schedule": "1h30m"},
            id="a timedelta schedule is a duration",
        ),
        pytest.param(
            {"schedule_interval": "@hourly"},
            {"schedule": "@hourly"},
            id="schedule_interval is the old name of schedule",
        ),
        pytest.param(
            {"schedule": None, "start_date": datetime(2024, 1, 1)},
            {"startDate": "2024-01-01T00:00:00+00:00"},
            id="a naive start_date is UTC, as in Airflow",
        ),
        pytest.param(
            {"schedule": "@daily", "start_date": datetime(2024, 1, 1, tzinfo=PARIS)},
            {
                "schedule": "@daily",
                "timezone": "Europe/Paris",
                "startDate": "2023-12-31T23:00:00+00:00",
            },
            id="an aware start_date gives the DAG its time zone",
        ),
        pytest.param(
            {"schedule": None, "start_date": datetime(2024, 1, 1, tzinfo=_PendulumLikeZone())},
            {"timezone": "Asia/Tokyo", "startDate": "2023-12-31T15:00:00+00:00"},
            id="a pendulum-like zone is read by its name",
        ),
        pytest.param(
            {"schedule": None, "start_date": pendulum.datetime(2024, 1, 1, tz="Asia/Seoul")},
            {"timezone": "Asia/Seoul", "startDate": "2023-12-31T15:00:00+00:00"},
            id="pendulum.datetime with tz= gives the DAG its IANA zone",
        ),
        pytest.param(
            {"schedule": None, "start_date": pendulum.datetime(2024, 1, 1)},
            {"startDate": "2024-01-01T00:00:00+00:00"},
            id="pendulum.datetime without tz is UTC, the default zone",
        ),
        pytest.param(
            {"schedule": None, "dagrun_timeout": pendulum.duration(minutes=90)},
            {"dagrunTimeout": "1h30m"},
            id="pendulum.duration is a timedelta",
        ),
        pytest.param(
            {"schedule": CronTriggerTimetable("0 3 * * *", timezone="Europe/Paris")},
            {"schedule": "0 3 * * *", "timezone": "Europe/Paris", "timetable": "trigger"},
            id="CronTriggerTimetable is the trigger timetable",
        ),
        pytest.param(
            {
                "schedule": None,
                "catchup": False,
                "max_active_runs": 2,
                "max_active_tasks": 3,
                "dagrun_timeout": timedelta(hours=2),
                "tags": ["b", "a", "b"],
                "description": "d",
                "is_paused_upon_creation": True,
            },
            {
                "description": "d",
                "catchup": False,
                "isPausedUponCreation": True,
                "maxActiveRuns": 2,
                "maxActiveTasks": 3,
                "dagrunTimeout": "2h",
                "tags": ["a", "b"],
            },
            id="the other DAG arguments keep Airflow's meaning; tags are sorted",
        ),
        pytest.param(
            {"schedule": None, "params": {"n": 1, "who": Param("me", type="string")}},
            {"params": {"n": 1, "who": {"default": "me", "type": "string"}}},
            id="params stay plain and a Param keeps its schema",
        ),
        pytest.param(
            {
                "schedule": None,
                "params": {
                    "rows": Param(3, "Rows to load", type="integer", minimum=1, maximum=100),
                    "env": Param("dev", schema={"enum": ["dev", "prod"]}),
                    "table": Param(type="string", unknown_word=1),
                    "looks_like_one": {"default": 1},
                },
            },
            {
                "params": {
                    "env": {"default": "dev", "enum": ["dev", "prod"]},
                    "looks_like_one": {"default": {"default": 1}},
                    "rows": {
                        "default": 3,
                        "description": "Rows to load",
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 100,
                    },
                    "table": {"default": None, "type": "string"},
                },
            },
            id="a Param is written with its description and schema, a plain default that "
            "would read as one is wrapped",
        ),
        pytest.param(
            {
                "schedule": None,
                "default_args": {
                    "owner": "data",
                    "retries": 2,
                    "retry_delay": timedelta(minutes=5),
                    "retry_exponential_backoff": True,
                    "max_retry_delay": 3600,
                    "execution_timeout": timedelta(minutes=10),
                    "depends_on_past": True,
                    "ignore_first_depends_on_past": False,
                    "wait_for_downstream": True,
                    "pool": "db",
                    "pool_slots": 2,
                    "priority_weight": 5,
                    "weight_rule": "absolute",
                    "trigger_rule": "all_done",
                    "image": "python:3.12",
                    "start_date": datetime(2024, 1, 1),
                },
            },
            {
                "startDate": "2024-01-01T00:00:00+00:00",
                "defaults": {
                    "owner": "data",
                    "image": "python:3.12",
                    "retries": 2,
                    "retryDelay": "5m",
                    "retryExponentialBackoff": True,
                    "maxRetryDelay": "1h",
                    "executionTimeout": "10m",
                    "dependsOnPast": True,
                    "ignoreFirstDependsOnPast": False,
                    "waitForDownstream": True,
                    "pool": "db",
                    "poolSlots": 2,
                    "priorityWeight": 5,
                    "weightRule": "absolute",
                    "triggerRule": "all_done",
                },
            },
            id="default_args become the DAG's defaults, start_date the DAG's",
        ),
    ],
)
def test_dag_arguments(dag_args: dict[str, Any], expected: dict[str, Any]) -> None:
    assert spec_of(**dag_args) == expected


def test_dag_id_becomes_a_kubernetes_name_and_is_kept_in_an_annotation() -> None:
    with DAG("My_ETL.v2", schedule=None) as dag:
        EmptyOperator(task_id="a")
    metadata = manifest_of(dag)["metadata"]
    assert metadata == {"name": "my-etl.v2", "annotations": {"kairflow.io/dag-id": "My_ETL.v2"}}


def test_operator_arguments_override_default_args_per_task() -> None:
    with DAG("t", schedule=None, default_args={"retries": 2}) as dag:
        BashOperator(task_id="a", bash_command="x", retries=0, retry_delay=30, pool="p")
    assert tasks_of(dag)["a"] == {
        "name": "a",
        "retries": 0,
        "retryDelay": "30s",
        "pool": "p",
        "bash": "x",
        "skipOnExitCode": [99],
    }


def test_airflow_arguments_kairflow_lacks_are_dropped_with_a_warning_naming_the_line() -> None:
    default_args = {"email": "a@b", "doc_md": "ignored"}
    with DAG("w", schedule=None, default_args=default_args, sla_miss_callback=1) as dag:
        line = _line() - 1
        BashOperator(task_id="a", bash_command="x", queue="q", on_failure_callback=print)
    assert [str(w).split(":", 1)[1] for w in dag.warnings] == [
        f"{line}: DAG 'w': sla_miss_callback is not supported, ignored",
        f"{line}: default_args: email is not supported, ignored",
        f"{line + 2}: task 'a': on_failure_callback: print cannot run as a callback (callbacks "
        "are pods, not Python functions), ignored; use kairflow.sdk.Callback(python=...) or a "
        "notifier such as SlackWebhookNotifier",
        f"{line + 2}: task 'a': queue is not supported, ignored",
    ]


def _line() -> int:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: DAG("x", default_args={"retires": 1}),
            "default_args: unknown argument 'retires'",
            id="a misspelt default_args key",
        ),
        pytest.param(
            lambda: DAG("x", scheduel="@daily"),
            "unknown argument 'scheduel'",
            id="a misspelt DAG argument",
        ),
        pytest.param(
            lambda: DAG("x", schedule=42), "schedule 42 is not supported", id="a number as schedule"
        ),
        pytest.param(
            lambda: DAG("x", schedule="@fortnightly"),
            "unknown schedule preset",
            id="an unknown preset",
        ),
        pytest.param(
            lambda: DAG("bad name!"), "cannot be a Kubernetes name", id="a dag_id that is no name"
        ),
        pytest.param(
            lambda: BashOperator(task_id="a", bash_command="x"),
            "has no DAG",
            id="a task outside any DAG",
        ),
    ],
)
def test_mistakes_are_errors_naming_the_users_line(build: Any, message: str) -> None:
    with pytest.raises(SdkError) as error:
        build()
    assert message in str(error.value)
    assert error.value.where.file == __file__


def test_a_duplicate_task_id_is_an_error_naming_its_line() -> None:
    with DAG("dup", schedule=None), pytest.raises(SdkError, match="duplicate task_id 'a'") as error:
        EmptyOperator(task_id="a")
        EmptyOperator(task_id="a")
    assert error.value.where.line == _line() - 1  # the second EmptyOperator


def test_an_unconvertible_task_fails_when_run_and_says_why() -> None:
    with DAG("u", schedule=None) as dag:
        UnconvertibleTask(task_id="s3", reason="S3ToRedshiftOperator has no {{ equivalent }}")
    bash = tasks_of(dag)["s3"]["bash"]
    assert "S3ToRedshiftOperator" in bash and bash.endswith("exit 1{% endraw %}")
    assert "cannot run on Kairflow" in str(dag.warnings[0])


def test_a_bash_sensor_is_done_when_its_command_exits_0_and_keeps_its_env() -> None:
    with DAG("s", schedule=None) as dag:
        BashSensor(task_id="s", bash_command="test -e $F", env={"F": "/tmp/x"}, poke_interval=30)
    assert tasks_of(dag)["s"] == {
        "name": "s",
        "bash": "(\ntest -e $F\n) || exit 100",
        "env": [{"name": "F", "value": "/tmp/x"}],
        "sensor": {"pokeInterval": "30s"},
    }


def test_callbacks_and_notifiers_become_the_tasks_and_the_dags_callbacks() -> None:
    from kairflow.sdk import Callback, SlackWebhookNotifier, WebhookNotifier

    page = Callback(bash="page {{ ti.task_id }}", name="page")
    slack = SlackWebhookNotifier(slack_webhook_conn_id="slack_alerts", text="{{ exception }}")
    with DAG(
        "cb",
        schedule=None,
        default_args={"on_failure_callback": [page, print]},
        on_success_callback=WebhookNotifier(url="http://hooks/x"),
    ) as dag:
        BashOperator(task_id="a", bash_command="x", on_retry_callback=slack)
    manifest = manifest_of(dag)["spec"]
    assert manifest["defaults"]["onFailure"] == [{"name": "page", "bash": "page {{ ti.task_id }}"}]
    assert manifest["tasks"][0]["onRetry"] == [
        {
            "name": "slack",
            "webhook": {
                "urlFrom": {"name": "slack-alerts", "key": "url"},
                "text": "{{ exception }}",
            },
        }
    ]
    assert manifest["onSuccess"] == [{"webhook": {"url": "http://hooks/x"}}]
    assert any("print cannot run as a callback" in str(w) for w in dag.warnings)


def test_deadline_alerts_become_the_dags_deadlines() -> None:
    from kairflow.sdk import Callback, DeadlineAlert, DeadlineReference, WebhookNotifier

    alerts = [
        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(hours=2),
            callback=WebhookNotifier(url="http://hooks/late"),
            name="sla",
        ),
        DeadlineAlert(
            reference=DeadlineReference.FIXED_DATETIME(datetime(2025, 1, 1, 6)),
            interval=timedelta(minutes=30),
            callback=Callback(bash="echo late"),
        ),
    ]
    with DAG("d", schedule=None, deadline=alerts) as dag:
        BashOperator(task_id="a", bash_command="x")
    assert manifest_of(dag)["spec"]["deadlines"] == [
        {
            "name": "sla",
            "reference": "dagrunQueuedAt",
            "interval": "2h",
            "callback": {"webhook": {"url": "http://hooks/late"}},
        },
        {
            "reference": "fixedDatetime",
            "datetime": "2025-01-01T06:00:00+00:00",
            "interval": "30m",
            "callback": {"bash": "echo late"},
        },
    ]


def test_a_deadline_alert_with_a_python_function_says_what_to_use() -> None:
    from kairflow.sdk import DeadlineAlert, DeadlineReference

    alert = DeadlineAlert(DeadlineReference.DAGRUN_LOGICAL_DATE, timedelta(hours=1), print)  # type: ignore[arg-type]
    with pytest.raises(SdkError, match="callbacks are pods, not Python functions"):
        DAG("d", schedule=None, deadline=alert)
