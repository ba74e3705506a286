"""Airflow's DAG, `@dag`, `@task` and `@task_group` on the SDK's, for Airflow files.

Unlike a Kairflow SDK file, an Airflow file was written for Airflow: an argument
Kairflow does not know is dropped with a warning (Airflow accepted it), and a DAG
scheduled on datasets is refused by itself while the file's other DAGs convert.
"""

from __future__ import annotations

import inspect
from typing import Any

from kairflow.airflow_import.names import Dataset, DatasetOrTimeSchedule
from kairflow.airflow_import.operators import (
    BashTask,
    BranchPythonOperator,
    PythonOperator,
    PythonSensor,
    ShortCircuitOperator,
)
from kairflow.sdk.callbacks import DAG_CALLBACKS
from kairflow.sdk.dag import _DROPPED_DAG_ARGS, _IGNORED_DAG_ARGS, dag_decorator
from kairflow.sdk.dag import DAG as _SdkDAG
from kairflow.sdk.decorators import Task, TaskDecorator, setup_teardown_decorators
from kairflow.sdk.errors import SdkWarning, user_location

_DAG_ARGUMENTS = frozenset(inspect.signature(_SdkDAG.__init__).parameters) | (
    _DROPPED_DAG_ARGS | _IGNORED_DAG_ARGS | frozenset(DAG_CALLBACKS)
)
_SCHEDULES = ("schedule", "schedule_interval", "timetable")


def _on_datasets(value: Any) -> bool:
    if isinstance(value, Dataset | DatasetOrTimeSchedule):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, Dataset) for v in value)


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
            if _on_datasets(schedules.get(key)):
                self.refusal = (
                    f"DAG {dag_id!r} is scheduled on datasets: dataset-triggered DAGs are "
                    "not converted yet (assets are a later Kairflow issue)"
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
