"""Airflow's operator classes, as the SDK's classes that convert per task (see
`tasks.convert`), and Airflow's BaseOperator for the custom operators a file defines.
"""

from __future__ import annotations

from typing import Any

from kairflow.airflow_import.tasks import Converting, PartialOperator, unconvertible
from kairflow.sdk.operators.bash import BashOperator as _Bash
from kairflow.sdk.operators.cross_dag import ApprovalOperator as _Approval
from kairflow.sdk.operators.cross_dag import ExternalTaskMarker as _Marker
from kairflow.sdk.operators.cross_dag import ExternalTaskSensor as _ExternalSensor
from kairflow.sdk.operators.cross_dag import TriggerDagRunOperator as _Trigger
from kairflow.sdk.operators.empty import EmptyOperator as _Empty
from kairflow.sdk.operators.latest_only import LatestOnlyOperator as _LatestOnly
from kairflow.sdk.operators.python import BashTask as _BashTask
from kairflow.sdk.operators.python import BranchPythonOperator as _Branch
from kairflow.sdk.operators.python import PythonOperator as _Python
from kairflow.sdk.operators.python import ShortCircuitOperator as _ShortCircuit
from kairflow.sdk.operators.sensors import BashSensor as _BashSensor
from kairflow.sdk.operators.sensors import DateTimeSensor as _DateTimeSensor
from kairflow.sdk.operators.sensors import PythonSensor as _PythonSensor
from kairflow.sdk.operators.sensors import TimeDeltaSensor as _TimeDeltaSensor


class BashOperator(_Bash, metaclass=Converting):
    __doc__ = _Bash.__doc__


class EmptyOperator(_Empty, metaclass=Converting):
    __doc__ = _Empty.__doc__


DummyOperator = EmptyOperator


class LatestOnlyOperator(_LatestOnly, metaclass=Converting):
    __doc__ = _LatestOnly.__doc__


class PythonOperator(_Python, metaclass=Converting):
    __doc__ = _Python.__doc__


class BranchPythonOperator(_Branch, metaclass=Converting):
    __doc__ = _Branch.__doc__


class ShortCircuitOperator(_ShortCircuit, metaclass=Converting):
    __doc__ = _ShortCircuit.__doc__


class BashTask(_BashTask, metaclass=Converting):
    __doc__ = _BashTask.__doc__


class PythonSensor(_PythonSensor, metaclass=Converting):
    __doc__ = _PythonSensor.__doc__


class BashSensor(_BashSensor, metaclass=Converting):
    __doc__ = _BashSensor.__doc__


class TimeDeltaSensor(_TimeDeltaSensor, metaclass=Converting):
    __doc__ = _TimeDeltaSensor.__doc__


TimeDeltaSensorAsync = TimeDeltaSensor  # deferral is not needed: it pokes instead


class DateTimeSensor(_DateTimeSensor, metaclass=Converting):
    __doc__ = _DateTimeSensor.__doc__


DateTimeSensorAsync = DateTimeSensor


class TriggerDagRunOperator(_Trigger, metaclass=Converting):
    __doc__ = _Trigger.__doc__


class ExternalTaskSensor(_ExternalSensor, metaclass=Converting):
    __doc__ = _ExternalSensor.__doc__


ExternalTaskSensorAsync = ExternalTaskSensor  # it never pokes: the operator watches


class ExternalTaskMarker(_Marker, metaclass=Converting):
    __doc__ = _Marker.__doc__


class ApprovalOperator(_Approval, metaclass=Converting):
    __doc__ = _Approval.__doc__


class _CustomOperatorType(type):
    """A custom operator class of the DAG file: its `execute()` runs Airflow code in
    Airflow's worker, which Kairflow cannot ship; the task is kept as unconvertible."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return unconvertible(kwargs, cls._kf_reason())

    def _kf_reason(cls) -> str:
        return (
            f"custom operator {cls.__name__}: its execute() is Airflow code Kairflow cannot "
            "run (rewrite it as a PythonOperator or @task)"
        )

    def partial(cls, **kwargs: Any) -> PartialOperator:
        return PartialOperator(cls._kf_reason(), kwargs)


class BaseOperator(metaclass=_CustomOperatorType):
    """Airflow's BaseOperator, to subclass (see _CustomOperatorType)."""

    template_fields: tuple[str, ...] = ()


class BaseSensorOperator(BaseOperator):
    """Airflow's BaseSensorOperator, to subclass (see BaseOperator)."""
