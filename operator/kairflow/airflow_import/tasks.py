"""Making Airflow operators into SDK tasks, one at a time: an operator that cannot be
converted becomes an `UnconvertibleTask` with the reason (its dependencies kept), so
the rest of the DAG still converts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kairflow.sdk import current
from kairflow.sdk.baseoperator import BaseOperator, _init_arguments
from kairflow.sdk.callbacks import TASK_CALLBACKS
from kairflow.sdk.errors import SdkError, SdkWarning, user_location
from kairflow.sdk.operators.python import PythonOperator
from kairflow.sdk.operators.unconvertible import UnconvertibleTask
from kairflow.sdk.partial import OperatorPartial
from kairflow.sdk.settings import DROPPED, IGNORED, SETTINGS
from kairflow.sdk.shipping.names import ship
from kairflow.sdk.shipping.values import upstream_of

if TYPE_CHECKING:
    from kairflow.sdk.dag import DAG

_ALWAYS = frozenset({"task_id", "dag", "task_group", "outlets"})
# Airflow arguments that only change how Airflow runs the task, never its outcome here.
_SILENT = frozenset({"deferrable", "poll_interval", "start_from_trigger", "end_from_trigger"})


def _dag_of(kwargs: dict[str, Any]) -> DAG | None:
    group = kwargs.get("task_group") or current.group()
    dag: DAG | None = kwargs.get("dag") or (group.dag if group is not None else current.dag())
    return dag


def unconvertible(kwargs: dict[str, Any], reason: str) -> UnconvertibleTask:
    """The placeholder task for an operator call: same task_id, DAG, group and trigger
    rule (so the run around it behaves the same until it is reached)."""
    kept = ("trigger_rule", "depends_on_past", "ignore_first_depends_on_past")
    settings = {k: v for k, v in kwargs.items() if k in kept}
    task_id = kwargs.get("task_id")
    if not isinstance(task_id, str):
        raise SdkError(f"an operator needs a task_id, not {task_id!r}")
    return UnconvertibleTask(
        task_id=str(task_id),
        dag=kwargs.get("dag"),
        task_group=kwargs.get("task_group"),
        reason=reason,
        **settings,
    )


def known_arguments(cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments the SDK's class takes; the others (Airflow arguments the file
    passes that Kairflow does not know) are dropped with a warning."""
    accepted = _init_arguments(cls) | _ALWAYS | set(SETTINGS) | set(TASK_CALLBACKS)
    accepted |= DROPPED | IGNORED
    unknown = sorted(set(kwargs) - accepted)
    if not unknown:
        return kwargs
    dag = _dag_of(kwargs)
    for key in unknown:
        if dag is not None and key not in _SILENT:
            message = f"task {kwargs.get('task_id')!r}: {key} is not supported, ignored"
            dag.warnings.append(SdkWarning(user_location(), message))
    return {k: v for k, v in kwargs.items() if k not in unknown}


def _withdraw(dag: DAG, task: BaseOperator) -> list[BaseOperator]:
    """Take a half-built task out of its DAG; returns its upstream tasks."""
    dag.tasks_by_id.pop(task.task_id, None)
    if task.task_group is not None and task in task.task_group.children:
        task.task_group.children.remove(task)
    for up in task.upstream.values():
        up.downstream.pop(task.task_id, None)
    for down in task.downstream.values():
        down.upstream.pop(task.task_id, None)
    return list(task.upstream.values())


def _check_shippable(task: BaseOperator) -> None:
    """A Python callable that cannot be shipped is found now, for this task alone
    (the manifest would otherwise fail for the whole DAG)."""
    if not isinstance(task, PythonOperator):
        return
    ship(task.call.function)


def convert(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`cls(*args, **kwargs)` as an SDK task, or its UnconvertibleTask."""
    if isinstance(kwargs.get("task_id"), str):
        kwargs["task_id"] = str(kwargs["task_id"])  # a TriggerRule member is a str enum
    kwargs = known_arguments(cls, kwargs)
    dag = _dag_of(kwargs)
    before = set(dag.tasks_by_id) if dag is not None else set()
    try:
        task = type.__call__(cls, *args, **kwargs)
        _check_shippable(task)
        return task
    except SdkError as exc:
        added = [t for t in dag.tasks_by_id if t not in before] if dag is not None else []
        if dag is None or not added:
            raise  # not about this task (no DAG, a duplicate id...): the file's error
        upstream = [u for t in added for u in _withdraw(dag, dag.tasks_by_id[t])]
        placeholder = unconvertible(kwargs, exc.detail)
        placeholder.set_upstream(upstream)
        return placeholder


class ConvertingPartial(OperatorPartial):
    """`Operator.partial(...).expand(...)` in an Airflow file: a mapping Kairflow cannot
    make (two mapped arguments, an argument it cannot map...) becomes an unconvertible
    task with the reason, its upstream XComArgs kept as dependencies; the task itself
    converts like any other (`convert`)."""

    def expand(self, **mapped: Any) -> BaseOperator:
        return self._mapping(lambda: super(ConvertingPartial, self).expand(**mapped), mapped)

    def expand_kwargs(self, kwargs: Any) -> BaseOperator:
        return self._mapping(lambda: super(ConvertingPartial, self).expand_kwargs(kwargs), kwargs)

    def _mapping(self, make: Callable[[], BaseOperator], sources: Any) -> BaseOperator:
        dag = _dag_of(self.kwargs)
        before = set(dag.tasks_by_id) if dag is not None else set()
        try:
            return make()
        except SdkError as exc:
            if dag is None or set(dag.tasks_by_id) != before:
                raise  # not about the mapping (no DAG, a half-made task): the file's error
            placeholder = unconvertible(self.kwargs, exc.detail)
            placeholder.set_upstream(upstream_of(sources))
            return placeholder


class Converting(type):
    """The metaclass of the shims' operator classes: calling one converts, and so does
    `.partial(...).expand(...)`."""

    def __init__(cls, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cls.partial_type = ConvertingPartial

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return convert(cls, args, kwargs)


class PartialOperator:
    """`Operator.partial(task_id=...)` of an operator Kairflow has no equivalent for,
    waiting for `.expand(...)`: an unconvertible task with `reason`."""

    def __init__(self, reason: str, kwargs: dict[str, Any] | None = None) -> None:
        self._reason = reason
        self._kwargs = kwargs or {}

    def __call__(self, **kwargs: Any) -> PartialOperator:
        return PartialOperator(self._reason, {**self._kwargs, **kwargs})

    def expand(self, **mapped: Any) -> UnconvertibleTask:
        return unconvertible(self._kwargs, self._reason)

    expand_kwargs = expand
