"""BaseOperator: task ids, the BaseOperator arguments, default_args and dependencies.

Each operator turns itself into the fields of a TaskSpec (`spec_fields`); what they
share (settings, dependsOn) is added by `manifest`. As in Airflow, default_args
apply to every operator argument of the same name that the call leaves out.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kairflow.api.dag import TASK_NAME_PATTERN
from kairflow.sdk import current, setup_teardown
from kairflow.sdk.assets import outlet_uris
from kairflow.sdk.dependencies import DependencyMixin, resolve
from kairflow.sdk.errors import SdkError, user_location
from kairflow.sdk.partial import OperatorPartial
from kairflow.sdk.settings import SETTINGS, split_settings
from kairflow.sdk.xcom_arg import XComArg

if TYPE_CHECKING:
    from kairflow.sdk.dag import DAG
    from kairflow.sdk.taskgroup import TaskGroup

_TASK_NAME = re.compile(TASK_NAME_PATTERN)
_operator_classes: list[type[BaseOperator]] = []


def operator_arguments() -> frozenset[str]:
    """Every operator-specific argument of every operator class."""
    return frozenset(name for cls in _operator_classes for name in _init_arguments(cls))


def _init_arguments(cls: type) -> frozenset[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is BaseOperator or "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(vars(klass)["__init__"]).parameters.values()
        names.update(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)
    return frozenset(names - {"task_id", "dag", "task_group"})


class BaseOperator(DependencyMixin):
    """What every operator takes: task_id, Airflow's BaseOperator arguments (retries,
    retry_delay, trigger_rule, pool, priority_weight, execution_timeout, owner...),
    and Kairflow's `image`, `env_from`, `pod_template`, `retry_on_exit_codes`."""

    expand: dict[str, Any] | None = None
    """ExpandSpec fields of a mapped task (`.expand()`)."""

    mapped_arguments: ClassVar[frozenset[str]] = frozenset()
    """The arguments `.partial(...).expand(name=...)` can map (read per instance)."""

    partial_type: ClassVar[type[OperatorPartial]] = OperatorPartial
    """What `.partial(...)` makes (a layer on the SDK may use its own)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _operator_classes.append(cls)
        if "__init__" in vars(cls):
            cls.__init__ = _applying_defaults(vars(cls)["__init__"])  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        task_id: str,
        dag: DAG | None = None,
        task_group: TaskGroup | None = None,
        **kwargs: Any,
    ) -> None:
        self.location = user_location()
        found = dag or (task_group.dag if task_group is not None else None) or current.dag()
        if found is None:
            raise SdkError(
                f"task {task_id!r} has no DAG: create it inside `with DAG(...)` or pass dag=",
                self.location,
            )
        self.dag: DAG = found
        self.task_group = task_group if task_group is not None else current.group()
        if self.task_group is not None and self.task_group.dag is not self.dag:
            self.task_group = None
        self.task_id = self.task_group.child_id(task_id) if self.task_group else task_id
        if not _TASK_NAME.fullmatch(self.task_id):
            raise SdkError(
                f"task_id {self.task_id!r}: use letters, digits, '_', '.' and '-', starting "
                "and ending with a letter or digit, at most 63 characters",
                self.location,
            )
        what = f"task {self.task_id!r}"
        # The task's own settings; its groups' default_args are the groups' `defaults`
        # in the manifest, applied by the engine (a task's own setting wins).
        self.outlets, others = outlet_uris(kwargs.pop("outlets", None))
        for other in others:
            self.dag.warn(f"{what}: outlet {other!r} is not an asset, ignored", self.location)
        self.settings, _ = split_settings(kwargs, self.location, self.dag.warnings, what)
        self.upstream: dict[str, BaseOperator] = {}
        self.downstream: dict[str, BaseOperator] = {}
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        self.dag.add_task(self)
        if self.task_group is not None:
            self.task_group.add(self)

    @classmethod
    def partial(cls, **kwargs: Any) -> OperatorPartial:
        """Airflow's mapping of a classic operator: `.partial(task_id=..., ...)` with
        what every instance shares, then `.expand(name=[...])` (see sdk.partial)."""
        return cls.partial_type(cls, kwargs)

    def spec_fields(self) -> dict[str, Any]:
        """This operator's own TaskSpec fields (bash, python, command, sensor...)."""
        return {}

    def as_setup(self) -> BaseOperator:
        """Airflow's `.as_setup()`: this task sets up what its work needs."""
        if self.is_teardown:
            raise SdkError(f"cannot mark task {self.task_id!r} as setup: it is a teardown")
        self.is_setup = True
        return self

    def as_teardown(
        self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None
    ) -> BaseOperator:
        """Airflow's `.as_teardown(setups=...)`: a teardown, its trigger rule
        all_done_setup_success; each of `setups` becomes a setup upstream of it."""
        if self.is_setup:
            raise SdkError(f"cannot mark task {self.task_id!r} as teardown: it is a setup")
        self.is_teardown = True
        self.settings.pop("trigger_rule", None)
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for setup in resolve(setups, upstream=True):
                setup.as_setup()
                self.add_upstream(setup)
        return self

    def __enter__(self) -> BaseOperator:
        self._work_starts = setup_teardown.enter(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            setup_teardown.leave(self, self._work_starts)

    def setup_teardown_fields(self) -> dict[str, Any]:
        """The TaskSpec fields of a setup or teardown (none for other tasks)."""
        if self.on_failure_fail_dagrun and not self.is_teardown:
            raise SdkError(
                f"cannot set on_failure_fail_dagrun on task {self.task_id!r}: it is not a "
                "teardown task",
                self.location,
            )
        fields: dict[str, Any] = {}
        if self.is_setup:
            fields["setup"] = True
        if self.is_teardown:
            fields["teardown"] = True
        if self.on_failure_fail_dagrun:
            fields["on_failure_fail_dagrun"] = True
        return fields

    @property
    def output(self) -> XComArg:
        """The task's XCom, to pass to other tasks (Airflow's `.output`)."""
        return XComArg(self)

    @property
    def upstream_task_ids(self) -> set[str]:
        return set(self.upstream)

    @property
    def downstream_task_ids(self) -> set[str]:
        return set(self.downstream)

    def tasks_as_upstream(self) -> list[BaseOperator]:
        return [self]

    def tasks_as_downstream(self) -> list[BaseOperator]:
        return [self]

    def add_upstream(self, task: BaseOperator) -> None:
        """`task >> self`; refused across DAGs and when it would close a cycle."""
        if task.dag is not self.dag:
            raise SdkError(
                f"cannot set a dependency between {task.task_id!r} (DAG {task.dag.dag_id!r}) "
                f"and {self.task_id!r} (DAG {self.dag.dag_id!r}): they are in different DAGs"
            )
        if task.task_id in self.upstream:
            return
        path = self._path_to(task)
        if path is not None:
            cycle = " -> ".join([task.task_id, *path])
            raise SdkError(f"DAG {self.dag.dag_id!r}: this dependency makes a cycle: {cycle}")
        self.upstream[task.task_id] = task
        task.downstream[self.task_id] = self

    def _path_to(self, target: BaseOperator) -> list[str] | None:
        """Task ids from self down to target (self first), if target is downstream."""
        stack: list[tuple[BaseOperator, list[str]]] = [(self, [self.task_id])]
        seen: set[str] = set()
        while stack:
            task, path = stack.pop()
            if task is target:
                return path
            if task.task_id in seen:
                continue
            seen.add(task.task_id)
            stack.extend((d, [*path, d.task_id]) for d in task.downstream.values())
        return None

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"


def _applying_defaults(init: Callable[..., None]) -> Callable[..., None]:
    """default_args fill the operator arguments the call leaves out (outermost
    __init__ only: subclasses' calls to super().__init__ pass them on)."""

    @functools.wraps(init)
    def wrapper(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_defaults_applied", False):
            init(self, *args, **kwargs)
            return
        self._defaults_applied = True  # type: ignore[attr-defined]
        dag = kwargs.get("dag") or current.dag()
        group = kwargs.get("task_group") or current.group()
        defaults = dict(dag.operator_defaults) if dag is not None else {}
        if group is not None:
            defaults.update(group.operator_defaults())
        accepted = _init_arguments(type(self))
        for key, value in defaults.items():
            if key in accepted and key not in kwargs and key not in SETTINGS:
                kwargs[key] = value
        init(self, *args, **kwargs)

    return wrapper
