"""The shim modules: Airflow 2's import paths and the Kairflow names behind them.

Any other `airflow.*` module (a provider, `airflow.configuration`...) is a module of
placeholders (see `placeholders`), and so is any name these modules do not map: an
operator from there becomes an unconvertible task naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from kairflow.sdk import (
    AirflowSkipException,
    CronTriggerTimetable,
    Dataset,
    DatasetAll,
    DatasetAny,
    Param,
    PokeReturnValue,
    SlackWebhookNotifier,
    TaskGroup,
    XComArg,
    chain,
    cross_downstream,
    task_group,
)


def _names() -> dict[str, dict[str, Any]]:
    # Imported here: the shims import the SDK, and this table is only built on use.
    from kairflow.airflow_import import dags, names, operators  # noqa: PLC0415

    models = {
        "DAG": dags.DAG,
        "BaseOperator": operators.BaseOperator,
        "Param": Param,
        "Variable": names.Variable,
        "XComArg": XComArg,
    }
    python = {
        "PythonOperator": operators.PythonOperator,
        "BranchPythonOperator": operators.BranchPythonOperator,
        "ShortCircuitOperator": operators.ShortCircuitOperator,
        "get_current_context": names.get_current_context,
        "is_venv_installed": names.is_venv_installed,
    }
    datasets = {
        "Dataset": Dataset,
        "DatasetAlias": names.DatasetAlias,
        "DatasetAll": DatasetAll,
        "DatasetAny": DatasetAny,
    }
    return {
        "airflow": {"DAG": dags.DAG, "Dataset": Dataset, "__version__": "2.10.5"},
        "airflow.models": models,
        "airflow.models.dag": {"DAG": dags.DAG},
        "airflow.models.baseoperator": {
            "BaseOperator": operators.BaseOperator,
            "chain": chain,
            "cross_downstream": cross_downstream,
        },
        "airflow.models.param": {"Param": Param, "ParamsDict": dict},
        "airflow.models.variable": {"Variable": names.Variable},
        "airflow.models.xcom_arg": {"XComArg": XComArg},
        "airflow.decorators": {
            "dag": dags.dag,
            "task": dags.task,
            "setup": dags.setup,
            "teardown": dags.teardown,
            "task_group": task_group,
        },
        "airflow.operators.bash": {"BashOperator": operators.BashOperator},
        "airflow.providers.slack.notifications.slack_webhook": {
            "SlackWebhookNotifier": SlackWebhookNotifier,
            "send_slack_webhook_notification": SlackWebhookNotifier,
        },
        "airflow.operators.python": python,
        "airflow.operators.empty": {"EmptyOperator": operators.EmptyOperator},
        "airflow.operators.dummy": {"DummyOperator": operators.DummyOperator},
        "airflow.operators.latest_only": {"LatestOnlyOperator": operators.LatestOnlyOperator},
        "airflow.operators.dummy_operator": {"DummyOperator": operators.DummyOperator},
        "airflow.sensors.base": {
            "BaseSensorOperator": operators.BaseSensorOperator,
            "PokeReturnValue": PokeReturnValue,
        },
        "airflow.sensors.python": {"PythonSensor": operators.PythonSensor},
        "airflow.sensors.bash": {"BashSensor": operators.BashSensor},
        "airflow.sensors.time_delta": {
            "TimeDeltaSensor": operators.TimeDeltaSensor,
            "TimeDeltaSensorAsync": operators.TimeDeltaSensorAsync,
        },
        "airflow.sensors.date_time": {
            "DateTimeSensor": operators.DateTimeSensor,
            "DateTimeSensorAsync": operators.DateTimeSensorAsync,
        },
        "airflow.operators.trigger_dagrun": {
            "TriggerDagRunOperator": operators.TriggerDagRunOperator
        },
        "airflow.sensors.external_task": {
            "ExternalTaskSensor": operators.ExternalTaskSensor,
            "ExternalTaskSensorAsync": operators.ExternalTaskSensorAsync,
            "ExternalTaskMarker": operators.ExternalTaskMarker,
        },
        # Airflow 3.1's HITL module, for files written for it.
        "airflow.providers.standard.operators.hitl": {
            "ApprovalOperator": operators.ApprovalOperator
        },
        "airflow.utils.dates": {"days_ago": names.days_ago},
        "airflow.utils.task_group": {"TaskGroup": TaskGroup},
        "airflow.utils.trigger_rule": {"TriggerRule": names.TriggerRule},
        "airflow.utils.edgemodifier": {"Label": names.Label},
        "airflow.utils.helpers": {"chain": chain, "cross_downstream": cross_downstream},
        "airflow.utils.weekday": {"WeekDay": names.WeekDay},
        "airflow.utils.context": {"Context": dict},
        "airflow.exceptions": {
            "AirflowException": names.AirflowException,
            "AirflowSkipException": AirflowSkipException,
            "AirflowFailException": names.AirflowFailException,
            "AirflowSensorTimeout": names.AirflowSensorTimeout,
        },
        "airflow.datasets": datasets,
        "airflow.timetables.trigger": {"CronTriggerTimetable": CronTriggerTimetable},
        "airflow.timetables.datasets": {"DatasetOrTimeSchedule": names.DatasetOrTimeSchedule},
    }


def _placeholder_getattr(module_name: str) -> Callable[[str], Any]:
    from kairflow.airflow_import.placeholders import placeholder  # noqa: PLC0415

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return placeholder(module_name, name)

    return __getattr__


def mapped_modules() -> frozenset[str]:
    """The Airflow modules whose names Kairflow maps."""
    return frozenset(_names())


def build_module(name: str) -> ModuleType:
    """The shim of Airflow module `name`: its mapped names, placeholders for the rest."""
    module = ModuleType(name, f"Kairflow's stand-in for Airflow's {name} (kairflow.airflow_import)")
    module.__dict__.update(_names().get(name, {}))
    module.__dict__["__getattr__"] = _placeholder_getattr(name)
    return module
