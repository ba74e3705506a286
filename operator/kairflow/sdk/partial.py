"""Classic operators' dynamic task mapping: `Operator.partial(task_id=..., ...)` holds
the arguments every instance shares, `.expand(name=[...])` makes the mapped task.

The engine maps a task over one list, so exactly one argument is mapped, and only an
argument the operator can read per instance (its `mapped_arguments`): BashOperator's
`bash_command` and `env`, PythonOperator's `op_args` and `op_kwargs`,
KubernetesPodOperator's `arguments` and `cmds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kairflow.sdk import current
from kairflow.sdk.errors import SdkError, user_location
from kairflow.sdk.mapped import Mapped, one_mapped_argument, single_key_items

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator


class OperatorPartial:
    """`Operator.partial(**kwargs)`, waiting for `.expand(...)` (Airflow's name)."""

    def __init__(self, operator: type[BaseOperator], kwargs: dict[str, Any]) -> None:
        self.operator = operator
        self.location = user_location()
        if not isinstance(kwargs.get("task_id"), str):
            raise SdkError(f"{operator.__name__}.partial() needs a task_id", self.location)
        # As in Airflow, the DAG and group are the ones around the partial() call.
        kwargs.setdefault("dag", current.dag())
        kwargs.setdefault("task_group", current.group())
        self.kwargs = kwargs

    def expand(self, **mapped: Any) -> BaseOperator:
        """One task instance per item of a literal list or of an upstream task's XCom."""
        where = f"{self.operator.__name__}.partial().expand()"
        name, source = one_mapped_argument(mapped, where)
        where = f"{self.operator.__name__}.partial().expand({name}=...)"
        if name in self.kwargs:
            raise SdkError(f"{where}: {name} is already given to partial()")
        mappable = self.operator.mapped_arguments
        kind = self.operator.__name__
        if not mappable:
            raise SdkError(f"{where}: {kind} has no argument Kairflow can map")
        if name not in mappable:
            can = " or ".join(sorted(mappable))
            raise SdkError(f"{where}: Kairflow maps only {can} of {kind}")
        argument = Mapped.of(name, source, where)
        task = self.operator(**{**self.kwargs, name: argument})
        task.expand = argument.spec()
        if argument.source is not None:
            task.set_upstream(argument.source)
        return task

    def expand_kwargs(self, kwargs: Any) -> BaseOperator:
        """Only a literal list of dicts that all have the same one key: that key mapped."""
        name, items = single_key_items(
            kwargs, f"{self.operator.__name__}.partial().expand_kwargs()"
        )
        return self.expand(**{name: items})
