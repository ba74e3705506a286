"""Classic operators' dynamic task mapping: `Operator.partial(task_id=..., ...)` holds
the arguments every instance shares, `.expand(name=[...])` makes the mapped task.

Several arguments map over their cross product (`expand.product`), `expand_kwargs`
over a literal list of dicts; only an argument the operator can read per instance
(its `mapped_arguments`) can be mapped: BashOperator's
`bash_command` and `env`, PythonOperator's `op_args` and `op_kwargs`,
KubernetesPodOperator's `arguments` and `cmds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kairflow.sdk import current
from kairflow.sdk.errors import SdkError, user_location
from kairflow.sdk.mapped import Mapped, one_mapped_argument, same_keys

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
        """One task instance per item of a literal list or of an upstream task's XCom;
        with several arguments, per combination of their items (Airflow's order)."""
        if len(mapped) > 1:
            arguments = [self._argument(name, source, key=name) for name, source in mapped.items()]
            product = [{"name": a.name, **a.spec()} for a in arguments]
            return self._task(arguments, {"product": product})
        name, source = one_mapped_argument(mapped, f"{self.operator.__name__}.partial().expand()")
        argument = self._argument(name, source)
        return self._task([argument], argument.spec())

    def expand_kwargs(self, kwargs: Any) -> BaseOperator:
        """A literal list of dicts that all have the same keys: one instance per dict,
        each key a mapped argument (one key is `expand(key=[...])`)."""
        what = f"{self.operator.__name__}.partial().expand_kwargs()"
        names = same_keys(kwargs, what)
        if len(names) == 1:
            return self.expand(**{names[0]: [d[names[0]] for d in kwargs]})
        arguments = [self._argument(n, [d[n] for d in kwargs], key=n) for n in names]
        return self._task(arguments, {"items": [dict(d) for d in kwargs]})

    def _argument(self, name: str, source: Any, key: str | None = None) -> Mapped:
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
        return Mapped.of(name, source, where, key)

    def _task(self, arguments: list[Mapped], expand: dict[str, Any]) -> BaseOperator:
        task = self.operator(**{**self.kwargs, **{a.name: a for a in arguments}})
        task.expand = expand
        for argument in arguments:
            if argument.source is not None:
                task.set_upstream(argument.source)
        return task
