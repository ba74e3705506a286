"""TaskFlow: `@task` and its variants. Calling a decorated function inside a DAG makes
a task and returns its XComArg; XComArgs passed as arguments wire the dependency and
the value. `.override(...)` changes operator arguments, `.expand(x=...)` maps."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ClassVar

from kairflow.sdk import current
from kairflow.sdk.errors import SdkError
from kairflow.sdk.mapped import expand_spec, one_mapped_argument, product_spec
from kairflow.sdk.operators.python import (
    BashTask,
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
)
from kairflow.sdk.operators.sensors import PythonSensor
from kairflow.sdk.xcom_arg import MAPPED_ITEM, MappedItem, XComArg

_SUFFIX = re.compile(r"__\d+$")


_OPERATORS: dict[str, type[PythonOperator]] = {
    "python": PythonOperator,
    "branch": BranchPythonOperator,
    "short_circuit": ShortCircuitOperator,
    "sensor": PythonSensor,
    "bash": BashTask,
}


def _unique_task_id(task_id: str) -> str:
    """Airflow's: a repeated id gets `__1`, `__2`... (counted over the full ids)."""
    dag, group = current.dag(), current.group()
    if dag is None:
        return task_id
    full = group.child_id(task_id) if group is not None else task_id
    if full not in dag.tasks_by_id:
        return task_id
    core_full = _SUFFIX.sub("", full)
    pattern = re.compile(rf"^{re.escape(core_full)}__(\d+)$")
    numbers = [int(m.group(1)) for t in dag.tasks_by_id if (m := pattern.match(t))]
    return f"{_SUFFIX.sub('', task_id)}__{max(numbers, default=0) + 1}"


class TaskDecorator:
    """A function decorated with @task: call it in a DAG to make a task."""

    operators: ClassVar[dict[str, type[PythonOperator]]] = _OPERATORS
    """The operator class of each kind (a layer on the SDK may use its own)."""

    def __init__(self, function: Callable[..., Any], kind: str, kwargs: dict[str, Any]) -> None:
        self.function = function
        self.kind = kind
        self.kwargs = kwargs
        self.partial_kwargs: dict[str, Any] = {}
        self.role: dict[str, bool] = {}
        """{"setup": True} after @setup; {"teardown": True, "on_failure_fail_dagrun":
        ...} after @teardown."""
        functools.update_wrapper(self, function)

    def override(self, **kwargs: Any) -> TaskDecorator:
        copy = type(self)(self.function, self.kind, {**self.kwargs, **kwargs})
        copy.partial_kwargs = dict(self.partial_kwargs)
        copy.role = dict(self.role)
        return copy

    def partial(self, **kwargs: Any) -> TaskDecorator:
        copy = self.override()
        copy.partial_kwargs = {**self.partial_kwargs, **kwargs}
        return copy

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        return XComArg(self._make(list(args), {**self.partial_kwargs, **kwargs}))

    def expand(self, **mapped: Any) -> XComArg:
        """One task instance per item of a list or of an upstream task's XCom list;
        with several arguments, per combination of their items (Airflow's order)."""
        if len(mapped) > 1:
            spec, sources = product_spec(mapped)
            kwargs = {name: MappedItem(name) for name in mapped}
            task = self._make([], {**self.partial_kwargs, **kwargs})
            task.expand = spec
            for upstream in sources:
                task.set_upstream(upstream)
            return XComArg(task)
        name, source = one_mapped_argument(mapped, "expand()")
        spec, single = expand_spec(name, source)
        task = self._make([], {**self.partial_kwargs, name: MAPPED_ITEM})
        task.expand = spec
        if single is not None:
            task.set_upstream(single)
        return XComArg(task)

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        """One task instance per dict of a literal list or of an upstream task's XCom
        list, the dict's keys the function's keyword arguments (Airflow's
        expand_kwargs; the instance's `item` is the dict)."""
        if self.partial_kwargs:
            raise SdkError("expand_kwargs() after partial() is not supported")
        spec, upstream = expand_spec("kwargs", kwargs)
        for index, item in enumerate(spec.get("items") or []):
            if not isinstance(item, dict):
                raise SdkError(f"expand_kwargs(): item {index} is not a dict: {item!r}")
        task = self._make([], MAPPED_ITEM)
        task.expand = spec
        if upstream is not None:
            task.set_upstream(upstream)
        return XComArg(task)

    def _make(self, args: list[Any], kwargs: dict[str, Any] | MappedItem) -> PythonOperator:
        # multiple_outputs: the XCom is one JSON value and result["key"] reads a key of
        # it, which is what Airflow's separate keys give.
        options = {k: v for k, v in self.kwargs.items() if k != "multiple_outputs"}
        task_id = _unique_task_id(options.pop("task_id", None) or self.function.__name__)
        if self.role.get("teardown") and "trigger_rule" in options:
            raise SdkError(f"task {task_id!r}: a teardown's trigger rule cannot be set")
        operator = self.operators[self.kind](
            task_id=task_id,
            python_callable=self.function,
            op_args=args,
            op_kwargs=kwargs,
            **options,
        )
        if self.role.get("setup"):
            operator.as_setup()
        if self.role.get("teardown"):
            fail_run = self.role.get("on_failure_fail_dagrun", False)
            operator.as_teardown(on_failure_fail_dagrun=fail_run)
        return operator


class Task:
    """`task`: `@task`, `@task(...)`, `@task.python`, `@task.branch`,
    `@task.short_circuit`, `@task.sensor`, `@task.bash`, making `decorator`s."""

    def __init__(self, decorator: type[TaskDecorator] = TaskDecorator) -> None:
        self._decorator = decorator

    def _make(self, kind: str, python_callable: Callable[..., Any] | None, kwargs: Any) -> Any:
        if python_callable is not None:
            return self._decorator(python_callable, kind, kwargs)
        return lambda f: self._decorator(f, kind, kwargs)

    def python(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self._make("python", python_callable, kwargs)

    def branch(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self._make("branch", python_callable, kwargs)

    def short_circuit(
        self, python_callable: Callable[..., Any] | None = None, **kwargs: Any
    ) -> Any:
        return self._make("short_circuit", python_callable, kwargs)

    def sensor(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self._make("sensor", python_callable, kwargs)

    def bash(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self._make("bash", python_callable, kwargs)

    def __call__(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self.python(python_callable, **kwargs)


task = Task()


def setup_teardown_decorators(
    maker: Task,
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Airflow's `@setup` and `@teardown` (airflow.decorators), over `maker`'s @task."""

    def as_decorator(func: Any) -> TaskDecorator:
        if isinstance(func, TaskDecorator):
            return func
        if callable(func) and not isinstance(func, type):
            decorator: TaskDecorator = maker(func)
            return decorator
        raise SdkError(f"@setup / @teardown decorate a function or a @task, not {func!r}")

    def setup(func: Any) -> TaskDecorator:
        decorator = as_decorator(func)
        decorator.role = {"setup": True}
        return decorator

    def teardown(_func: Any = None, *, on_failure_fail_dagrun: bool = False) -> Any:
        def mark(func: Any) -> TaskDecorator:
            decorator = as_decorator(func)
            decorator.role = {"teardown": True, "on_failure_fail_dagrun": on_failure_fail_dagrun}
            return decorator

        return mark if _func is None else mark(_func)

    return setup, teardown


setup, teardown = setup_teardown_decorators(task)
