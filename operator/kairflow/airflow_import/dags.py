"""Airflow's DAG, `@dag`, `@task` and `@task_group` on the SDK's, for Airflow files.

Unlike a Kairflow SDK file, an Airflow file was written for Airflow: an argument
Kairflow does not know is dropped with a warning (Airflow accepted it), and a DAG
scheduled on a DatasetAlias is refused by itself while the file's other DAGs convert
(a DAG on datasets converts to one on assets).
"""

from __future__ import annotations

import inspect
from typing import Any

from kairflow.airflow_import.names import DatasetAlias
from kairflow.airflow_import.operators import (
    BashTask,
    BranchPythonOperator,
    PythonOperator,
    PythonSensor,
    ShortCircuitOperator,
)
from kairflow.sdk.assets import AssetOrTimeSchedule
from kairflow.sdk.callbacks import DAG_CALLBACKS
from kairflow.sdk.dag import _DROPPED_DAG_ARGS, _IGNORED_DAG_ARGS, dag_decorator
from kairflow.sdk.dag import DAG as _SdkDAG
from kairflow.sdk.decorators import Task, TaskDecorator, setup_teardown_decorators
from kairflow.sdk.errors import SdkWarning, user_location

_DAG_ARGUMENTS = frozenset(inspect.signature(_SdkDAG.__init__).parameters) | (
    _DROPPED_DAG_ARGS | _IGNORED_DAG_ARGS | frozenset(DAG_CALLBACKS)
)
_SCHEDULES = ("schedule", "schedule_interval", "timetable")


def _on_aliases(value: Any) -> bool:
    """A schedule naming a DatasetAlias (Airflow resolves those at run time)."""
    if isinstance(value, DatasetAlias):
        return True
    if isinstance(value, AssetOrTimeSchedule):
        return _on_aliases(value.assets)
    parts = getattr(value, "parts", value)
    return isinstance(parts, list | tuple) and any(_on_aliases(v) for v in parts)


class DAG(_SdkDAG):
    """Airflow's DAG. `refusal` says why this DAG is not converted (its schedule is
    on datasets), else None."""

    def __init__(self, dag_id: str, *args: Any, **kwargs: Any) -> None:
        where = user_location()
        unknown = sorted(set(kwargs) - _DAG_ARGUMENTS)
        kwargs = {k: v for k, v in kwargs.items() if k not in unknown}
        self.refusal: str | None = None
        schedules = dict(zip(("description", "schedule"), args, strict=False)) | kwargs
        for key in _SCHEDULES:
            if _on_aliases(schedules.get(key)):
                self.refusal = (
                    f"DAG {dag_id!r} is scheduled on a DatasetAlias: aliases are resolved "
                    "by Airflow at run time, which Kairflow does not do"
                )
                if key == "schedule" and len(args) > 1:
                    args = (args[0], None, *args[2:])
                else:
                    kwargs[key] = None
        super().__init__(dag_id, *args, **kwargs)
        for key in unknown:
            self.warnings.append(
                SdkWarning(where, f"DAG {dag_id!r}: {key} is not supported, ignored")
            )


dag = dag_decorator(DAG)


class AirflowTaskDecorator(TaskDecorator):
    """@task functions make the shims' (converting) operators."""

    operators = {
        "python": PythonOperator,
        "branch": BranchPythonOperator,
        "short_circuit": ShortCircuitOperator,
        "sensor": PythonSensor,
        "bash": BashTask,
    }


task = Task(AirflowTaskDecorator)
setup, teardown = setup_teardown_decorators(task)
