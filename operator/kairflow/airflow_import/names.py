"""Airflow's small names: exceptions, TriggerRule, WeekDay, Label, days_ago,
get_current_context, Variable, datasets (AirflowSkipException is the SDK's own).

Classes a shipped callable may use (the exceptions, WeekDay) are defined from source
text that is also what the task receives (`SHIPPED_SOURCE`): the task has no Airflow.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Any

from kairflow.api.dag import TriggerRule as ApiTriggerRule
from kairflow.sdk.assets import AssetOrTimeSchedule
from kairflow.sdk.baseoperator import BaseOperator
from kairflow.sdk.dependencies import DependencyMixin
from kairflow.sdk.shipping.names import SHIPPED_SOURCE, Unshippable, shipped_class

AirflowException = shipped_class(
    "class AirflowException(Exception):\n"
    '    """Airflow\'s base exception: raising it fails the task."""\n'
)
AirflowFailException = shipped_class(
    "class AirflowFailException(Exception):\n"
    '    """Fails the task (on Kairflow, retries still apply)."""\n'
)
AirflowSensorTimeout = shipped_class(
    "class AirflowSensorTimeout(Exception):\n"
    '    """A sensor gave up: raising it fails the task."""\n'
)

WeekDay = shipped_class('''
import enum


class WeekDay(enum.IntEnum):
    """Airflow's days of the week (ISO numbers)."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str):
        sanitized = week_day_str.upper()
        if sanitized not in cls.__members__:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"')
        return cls[sanitized]

    @classmethod
    def convert(cls, day):
        return day if isinstance(day, cls) else cls.get_weekday_number(day)
''')


# Airflow's TriggerRule: the engine's rules under Airflow's names (one list, the API's),
# plus DUMMY, Airflow's old name of ALWAYS.
TriggerRule = enum.StrEnum(  # type: ignore[misc]
    "TriggerRule",
    {**{rule.name: rule.value for rule in ApiTriggerRule}, "DUMMY": ApiTriggerRule.ALWAYS.value},
)


def days_ago_from(
    now: datetime, n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> datetime:
    """Airflow's days_ago at `now`: that time of day (UTC), n days before today."""
    today = now.astimezone(UTC).replace(
        hour=hour, minute=minute, second=second, microsecond=microsecond
    )
    return today - timedelta(days=n)


def days_ago(
    n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> datetime:
    """`airflow.utils.dates.days_ago`: midnight UTC n days ago (deprecated in Airflow)."""
    return days_ago_from(datetime.now(UTC), n, hour, minute, second, microsecond)


def _current_context() -> Any:
    raise RuntimeError("get_current_context() only works inside a running task")


get_current_context = _current_context
get_current_context.__name__ = "get_current_context"
# In the task: the context the shipped runtime builds (kairflow.sdk.shipping.runtime).
setattr(
    get_current_context,
    SHIPPED_SOURCE,
    "def get_current_context():\n    return _kf_context(_KF_RENDERED)\n",
)


def is_venv_installed() -> bool:
    """Airflow's check for virtualenv: Kairflow runs no virtualenv tasks, so the files'
    `if is_venv_installed():` branches (virtualenv and external-Python tasks) are not
    taken, as in an Airflow without virtualenv."""
    return False


_VARIABLES = (
    "Airflow Variables are not available on Kairflow: pass values as DAG params, or as "
    "environment variables from a ConfigMap or Secret (env_from)"
)


class Variable:
    """Refused: Kairflow has no Variable store."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(_VARIABLES)

    @classmethod
    def get(cls, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(_VARIABLES)

    set = setdefault = delete = get


setattr(Variable, SHIPPED_SOURCE, Unshippable(_VARIABLES))


class Label(DependencyMixin):
    """An edge label (`a >> Label("why") >> b`): the label is dropped, the edge kept."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._upstream: list[BaseOperator] = []

    def add_upstream(self, task: BaseOperator) -> None:
        """`a >> label`: remembered until `label >> b`."""
        self._upstream.append(task)

    def tasks_as_upstream(self) -> list[BaseOperator]:
        return list(self._upstream)

    def tasks_as_downstream(self) -> list[Any]:
        # `a >> label` links a to the label itself (add_upstream): see tasks_as_upstream.
        return [self]


class DatasetAlias:
    """Airflow's DatasetAlias: resolved to datasets by Airflow at run time, which
    Kairflow does not do. A DAG scheduled on one is not converted; an alias among a
    task's outlets is dropped with a warning."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"DatasetAlias({self.name!r})"


def DatasetOrTimeSchedule(*, timetable: Any = None, datasets: Any = None) -> AssetOrTimeSchedule:
    """Airflow 2.10's DatasetOrTimeSchedule(timetable=..., datasets=...)."""
    return AssetOrTimeSchedule(timetable=timetable, assets=datasets)
