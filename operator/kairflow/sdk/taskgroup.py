"""TaskGroup and `@task_group`: Airflow's prefixing (`group.task`) and group-level
dependencies (a group upstream stands for its leaves, downstream for its roots).

The SDK links the tasks itself (each task's `dependsOn`); the manifest also carries
the groups (`groups:`, each task's `group`) so the engine shows them, applies their
default_args and clears or marks a group as a whole (see `manifest`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kairflow.sdk import current
from kairflow.sdk.baseoperator import operator_arguments
from kairflow.sdk.dependencies import DependencyMixin
from kairflow.sdk.errors import SdkError, user_location
from kairflow.sdk.settings import split_settings

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator
    from kairflow.sdk.dag import DAG

_SUFFIX = re.compile(r"__(\d+)$")


class TaskGroup(DependencyMixin):
    """`with TaskGroup("extract") as extract:`; tasks inside are `extract.<task_id>`."""

    def __init__(
        self,
        group_id: str,
        *,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str | None = None,
        ui_fgcolor: str | None = None,
        add_suffix_on_collision: bool = False,
        group_display_name: str | None = None,
    ) -> None:
        self.location = user_location()
        self.parent = parent_group if parent_group is not None else current.group()
        found = dag or (self.parent.dag if self.parent is not None else None) or current.dag()
        if found is None:
            raise SdkError(f"task group {group_id!r} has no DAG", self.location)
        self.dag: DAG = found
        self.prefix_group_id = prefix_group_id
        self._label = group_id
        self.default_args = dict(default_args or {})
        self._settings, self._operator_defaults = split_settings(
            self.default_args,
            self.location,
            self.dag.warnings,
            f"task group {group_id!r}: default_args",
            operator_arguments(),
        )
        self.group_id = self._unique_id(add_suffix_on_collision)
        self.dag.group_ids.add(self.group_id)
        self.dag.task_groups.append(self)
        self.tooltip = tooltip
        self.children: list[BaseOperator | TaskGroup] = []
        if self.parent is not None:
            self.parent.children.append(self)

    def _unique_id(self, add_suffix: bool) -> str:
        wanted = self._full_id(self._label)
        taken = self.dag.group_ids | set(self.dag.tasks_by_id)
        if wanted not in taken:
            return wanted
        if not add_suffix:
            raise SdkError(f"group_id {wanted!r} has already been added to the DAG", self.location)
        base = _SUFFIX.sub("", wanted)
        numbers = [
            int(m.group(1)) for t in taken if (m := _SUFFIX.search(t)) and t.startswith(base)
        ]
        suffix = max(numbers, default=0) + 1
        self._label = f"{_SUFFIX.sub('', self._label)}__{suffix}"
        return self._full_id(self._label)

    def _full_id(self, label: str) -> str:
        if self.parent is not None and self.parent.prefix_group_id:
            return self.parent.child_id(label)
        return label

    def child_id(self, label: str) -> str:
        """Airflow's prefixing: `group.label` unless prefix_group_id=False."""
        return f"{self.group_id}.{label}" if self.prefix_group_id else label

    @property
    def label(self) -> str:
        """The group's own name (its id without its parent's prefix)."""
        return self._label

    def settings(self) -> dict[str, Any]:
        """Task settings of this group's own default_args (the engine layers nested
        groups' defaults, the inner group winning)."""
        return dict(self._settings)

    def operator_defaults(self) -> dict[str, Any]:
        outer = self.parent.operator_defaults() if self.parent is not None else {}
        return {**outer, **self._operator_defaults}

    def add(self, task: BaseOperator) -> None:
        self.children.append(task)

    def all_tasks(self) -> list[BaseOperator]:
        out: list[BaseOperator] = []
        for child in self.children:
            out.extend(child.all_tasks() if isinstance(child, TaskGroup) else [child])
        return out

    def roots(self) -> list[BaseOperator]:
        """Tasks with no upstream task inside the group."""
        inside = {t.task_id for t in self.all_tasks()}
        return [t for t in self.all_tasks() if not inside & set(t.upstream)]

    def leaves(self) -> list[BaseOperator]:
        """Tasks with no downstream task inside the group."""
        inside = {t.task_id for t in self.all_tasks()}
        return [t for t in self.all_tasks() if not inside & set(t.downstream)]

    def tasks_as_upstream(self) -> list[BaseOperator]:
        return self.leaves()

    def tasks_as_downstream(self) -> list[BaseOperator]:
        return self.roots()

    def __enter__(self) -> TaskGroup:
        current.push_group(self)
        return self

    def __exit__(self, *exc: object) -> None:
        current.pop_group()

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"


def task_group(python_callable: Callable[..., Any] | None = None, **group_kwargs: Any) -> Any:
    """Airflow's `@task_group`: each call makes a group (ids suffixed `__1`, `__2` on
    repeated calls) and returns what the function returns, or the group."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def factory(*args: Any, **kwargs: Any) -> Any:
            options = {"add_suffix_on_collision": True, **group_kwargs}
            with TaskGroup(options.pop("group_id", None) or f.__name__, **options) as group:
                result = f(*args, **kwargs)
            return group if result is None else result

        return factory

    return decorate(python_callable) if python_callable is not None else decorate
