"""DAG: Airflow's DAG object, as a context manager and as the `@dag` decorator."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kairflow.core.params import written_default
from kairflow.sdk import current
from kairflow.sdk.assets import AssetOrTimeSchedule, asset_schedule, is_asset_schedule
from kairflow.sdk.baseoperator import operator_arguments
from kairflow.sdk.callbacks import DAG_CALLBACKS, convert
from kairflow.sdk.deadlines import deadline_specs
from kairflow.sdk.errors import SdkError, SdkWarning, user_location
from kairflow.sdk.settings import split_settings
from kairflow.sdk.timetables import CronTriggerTimetable, Param
from kairflow.sdk.values import (
    duration,
    kubernetes_name,
    timezone_of,
    utc_datetime,
)
from kairflow.sdk.values import (
    schedule as schedule_text,
)

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator
    from kairflow.sdk.taskgroup import TaskGroup

_DROPPED_DAG_ARGS = frozenset(
    {
        "sla_miss_callback", "access_control",
        "user_defined_macros", "user_defined_filters", "render_template_as_native_obj",
        "template_searchpath", "template_undefined", "jinja_environment_kwargs",
        "owner_links", "fail_stop", "default_view", "orientation",
        "max_consecutive_failed_dag_runs", "dag_display_name", "auto_register",
    }
)  # fmt: skip
_IGNORED_DAG_ARGS = frozenset({"doc_md", "full_filepath", "fileloc"})
_UNSET: Any = object()


class DAG:
    """`with DAG("etl", schedule="@daily", start_date=datetime(2024, 1, 1)) as dag:`"""

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = _UNSET,
        *,
        schedule_interval: Any = _UNSET,
        timetable: Any = None,
        start_date: Any = None,
        end_date: Any = None,
        catchup: bool | None = None,
        default_args: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        max_active_runs: int | None = None,
        max_active_tasks: int | None = None,
        concurrency: int | None = None,
        dagrun_timeout: timedelta | None = None,
        is_paused_upon_creation: bool | None = None,
        timezone: Any = None,
        deadline: Any = None,
        **kwargs: Any,
    ) -> None:
        self.location = user_location()
        self.dag_id = dag_id
        self.name = kubernetes_name(dag_id)
        self.warnings: list[SdkWarning] = []
        self.tasks_by_id: dict[str, BaseOperator] = {}
        self.group_ids: set[str] = set()
        self.task_groups: list[TaskGroup] = []
        callbacks: dict[str, list[dict[str, Any]]] = {}
        for key in sorted(kwargs):
            if key in DAG_CALLBACKS:
                specs, dropped = convert(kwargs[key], f"DAG {dag_id!r}: {key}")
                if dropped:
                    self.warn(dropped)
                callbacks[DAG_CALLBACKS[key]] = specs
            elif key in _DROPPED_DAG_ARGS:
                self.warn(f"DAG {dag_id!r}: {key} is not supported, ignored")
            elif key not in _IGNORED_DAG_ARGS:
                raise SdkError(f"DAG {dag_id!r}: unknown argument {key!r}", self.location)
        self.default_args = dict(default_args or {})
        self.defaults, self.operator_defaults = split_settings(
            self.default_args, self.location, self.warnings, "default_args", operator_arguments()
        )
        self.description = description
        self.spec: dict[str, Any] = {"timezone": None, "timetable": None, "trigger_interval": None}
        self._set_schedule(schedule, schedule_interval, timetable)
        start = start_date if start_date is not None else self.default_args.get("start_date")
        end = end_date if end_date is not None else self.default_args.get("end_date")
        zone = timezone_of(timezone) or timezone_of(start) or self.spec["timezone"]
        self.spec.update(
            description=description,
            timezone=zone,
            start_date=utc_datetime(start, "start_date"),
            end_date=utc_datetime(end, "end_date"),
            catchup=catchup,
            is_paused_upon_creation=is_paused_upon_creation,
            max_active_runs=max_active_runs,
            max_active_tasks=max_active_tasks if max_active_tasks is not None else concurrency,
            dagrun_timeout=duration(dagrun_timeout, "dagrun_timeout"),
            tags=sorted(set(tags or [])),
            params=_params({**self.default_args.get("params", {}), **(params or {})}),
            **{k: v or None for k, v in callbacks.items()},
            deadlines=deadline_specs(deadline) if deadline is not None else None,
        )
        current.created(self)

    def _set_schedule(self, schedule: Any, schedule_interval: Any, timetable: Any) -> None:
        value = schedule if schedule is not _UNSET else schedule_interval
        value = timetable if timetable is not None else value
        if isinstance(value, AssetOrTimeSchedule):
            self.spec["assets"] = asset_schedule(value.assets)
            value = value.timetable
        elif is_asset_schedule(value):
            self.spec.update(assets=asset_schedule(value), schedule=None)
            return
        if isinstance(value, CronTriggerTimetable):
            self.spec.update(
                schedule=value.cron,
                timetable="trigger",
                timezone=timezone_of(value.timezone),
                trigger_interval=duration(value.interval, "interval") if value.interval else None,
            )
            return
        # Airflow 2's default schedule is one day; an explicit None means manual only.
        self.spec["schedule"] = "1d" if value is _UNSET else schedule_text(value)

    def warn(self, message: str, where: Any = None) -> None:
        self.warnings.append(SdkWarning(where or user_location(), message))

    def add_task(self, task: BaseOperator) -> None:
        if task.task_id in self.tasks_by_id:
            raise SdkError(
                f"DAG {self.dag_id!r}: duplicate task_id {task.task_id!r}", task.location
            )
        self.tasks_by_id[task.task_id] = task

    @property
    def tasks(self) -> list[BaseOperator]:
        return list(self.tasks_by_id.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.tasks_by_id)

    def get_task(self, task_id: str) -> BaseOperator:
        return self.tasks_by_id[task_id]

    def __enter__(self) -> DAG:
        current.push_dag(self)
        return self

    def __exit__(self, *exc: object) -> None:
        current.pop_dag()

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.manifest() if isinstance(v, Param) else written_default(v)
        for k, v in sorted(params.items())
    }


def dag_decorator(dag_class: type[DAG]) -> Callable[..., Any]:
    """Airflow's `@dag` building instances of `dag_class` (a layer on the SDK may
    use its own DAG class)."""

    def dag(dag_id: Any = None, **dag_kwargs: Any) -> Any:
        """Airflow's `@dag` (with or without arguments): calling the decorated function
        builds the DAG; its parameters become the DAG's params, passed to it as
        `{{ params.name }}` templates."""
        if callable(dag_id):
            return _dag_factory(dag_class, dag_id, None, dag_kwargs)
        name = dag_id if dag_id is not None else dag_kwargs.pop("dag_id", None)

        def decorate(f: Callable[..., Any]) -> Callable[..., DAG]:
            return _dag_factory(dag_class, f, name, dag_kwargs)

        return decorate

    return dag


def _dag_factory(
    dag_class: type[DAG], f: Callable[..., Any], dag_id: str | None, dag_kwargs: dict[str, Any]
) -> Callable[..., DAG]:
    signature = inspect.signature(f)

    @functools.wraps(f)
    def factory(*args: Any, **kwargs: Any) -> DAG:
        bound = signature.bind_partial(*args, **kwargs)
        defaults = {
            name: p.default
            for name, p in signature.parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        params = {**defaults, **dag_kwargs.get("params", {}), **bound.arguments}
        options = {**dag_kwargs, "params": params}
        if "description" not in options and f.__doc__:
            options["description"] = inspect.cleandoc(f.__doc__).splitlines()[0]
        with dag_class(dag_id or f.__name__, **options) as built:
            f(**{name: f"{{{{ params.{name} }}}}" for name in signature.parameters})
        return built

    return factory


dag = dag_decorator(DAG)
