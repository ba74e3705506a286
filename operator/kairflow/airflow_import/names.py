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


class Dataset:
    """Airflow's Dataset: DAGs scheduled on datasets are not converted (assets are a
    later Kairflow issue); a task's `outlets` / `inlets` are dropped with a warning."""

    def __init__(self, uri: str, extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.uri = uri
        self.extra = extra or {}

    def __and__(self, other: Any) -> Dataset:
        return self

    __or__ = __and__

    def __repr__(self) -> str:
        return f"Dataset({self.uri!r})"


class DatasetAlias(Dataset):
    """Airflow's DatasetAlias (see Dataset)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)


class DatasetOrTimeSchedule:
    """A schedule on datasets or a timetable: refused like dataset schedules."""

    def __init__(self, *, timetable: Any = None, datasets: Any = None) -> None:
        self.timetable = timetable
        self.datasets = datasets
