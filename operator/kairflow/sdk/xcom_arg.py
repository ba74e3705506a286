"""XComArg: the future result of a task, passed to other tasks (Airflow's `.output`
and TaskFlow's return value). It renders as `ti.xcom_pull('task')`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kairflow.sdk.dependencies import DependencyMixin

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator


class XComArg(DependencyMixin):
    """The XCom of `operator`, or a part of it (`result["key"]`, `result[0]`)."""

    def __init__(self, operator: BaseOperator, keys: tuple[str | int, ...] = ()) -> None:
        self.operator = operator
        self.keys = keys

    def __getitem__(self, key: str | int) -> XComArg:
        return XComArg(self.operator, (*self.keys, key))

    def expression(self) -> str:
        """The Jinja expression of the value."""
        path = "".join(f"[{json.dumps(key)}]" for key in self.keys)
        return f"ti.xcom_pull({json.dumps(self.operator.task_id)}){path}"

    def template(self) -> str:
        """A templated field whose whole value is this XCom."""
        return "{{ " + self.expression() + " }}"

    def tasks_as_upstream(self) -> list[BaseOperator]:
        return [self.operator]

    def tasks_as_downstream(self) -> list[BaseOperator]:
        return [self.operator]

    def as_setup(self) -> XComArg:
        """Airflow's `.as_setup()` on a TaskFlow task's result."""
        self.operator.as_setup()
        return self

    def as_teardown(
        self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None
    ) -> XComArg:
        """Airflow's `.as_teardown(setups=...)` on a TaskFlow task's result."""
        self.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> XComArg:
        """`with teardown_task(setup_task()):` (see sdk.setup_teardown)."""
        self.operator.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.operator.__exit__(*exc)

    def __iter__(self) -> Any:
        raise TypeError("an XComArg is not iterable while the DAG is built; use .expand()")

    def __repr__(self) -> str:
        return f"XComArg({self.expression()})"


class MappedItem:
    """The item of a mapped task instance (`{{ item }}`), or one argument of it
    (`{{ item["key"] }}`) when the task maps several (`expand.product`)."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key

    def expression(self) -> str:
        return "item" if self.key is None else f"item[{self.key!r}]"

    def __repr__(self) -> str:
        return "MAPPED_ITEM" if self.key is None else f"MAPPED_ITEM[{self.key!r}]"


MAPPED_ITEM = MappedItem()


class ItemOf:
    """The item of a mapped instance taken from the literal `items` by `map_index`: for
    a literal list whose items hold templates, rendered (as Airflow renders them)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __repr__(self) -> str:
        return f"ItemOf({self.items!r})"
