"""`>>`, `<<`, lists of tasks, `chain` and `cross_downstream`, as in Airflow.

A task group on the upstream side stands for its leaves, on the downstream side for
its roots (evaluated when the dependency is set, like Airflow); an XComArg stands
for the task that produces it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kairflow.sdk.errors import SdkError

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator

Relatives = Any  # a task, a task group, an XComArg, or a list of those


class DependencyMixin:
    """What `>>` and `<<` work on."""

    def tasks_as_upstream(self) -> list[BaseOperator]:
        raise NotImplementedError

    def tasks_as_downstream(self) -> list[BaseOperator]:
        raise NotImplementedError

    def set_downstream(self, other: Relatives) -> None:
        link(self.tasks_as_upstream(), resolve(other, upstream=False))

    def set_upstream(self, other: Relatives) -> None:
        link(resolve(other, upstream=True), self.tasks_as_downstream())

    def __rshift__(self, other: Relatives) -> Relatives:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Relatives) -> Relatives:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Relatives) -> DependencyMixin:
        """`[a, b] >> self`."""
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Relatives) -> DependencyMixin:
        """`[a, b] << self`."""
        self.set_downstream(other)
        return self


def resolve(value: Relatives, *, upstream: bool) -> list[BaseOperator]:
    if isinstance(value, DependencyMixin):
        return value.tasks_as_upstream() if upstream else value.tasks_as_downstream()
    if isinstance(value, list | tuple | set | frozenset):
        return [task for item in _ordered(value) for task in resolve(item, upstream=upstream)]
    raise SdkError(f"cannot set a dependency on {value!r}: not a task, task group or XComArg")


def _ordered(values: Iterable[Any]) -> list[Any]:
    if isinstance(values, set | frozenset):
        return sorted(values, key=lambda item: getattr(item, "task_id", repr(item)))
    return list(values)


def link(upstream: Iterable[BaseOperator], downstream: Iterable[BaseOperator]) -> None:
    downstream = list(downstream)
    for up in upstream:
        for down in downstream:
            down.add_upstream(up)


def chain(*elements: Relatives) -> None:
    """Airflow's chain: each element feeds the next; two lists side by side must have
    the same length and are linked pairwise."""
    for left, right in itertools.pairwise(elements):
        if isinstance(left, Sequence) and isinstance(right, Sequence):
            if len(left) != len(right):
                raise SdkError(
                    f"chain: lists side by side must have the same length "
                    f"({len(left)} and {len(right)})"
                )
            for up, down in zip(left, right, strict=True):
                link(resolve(up, upstream=True), resolve(down, upstream=False))
        else:
            link(resolve(left, upstream=True), resolve(right, upstream=False))


def cross_downstream(from_tasks: Sequence[Relatives], to_tasks: Relatives) -> None:
    """Every task of `from_tasks` feeds every task of `to_tasks`."""
    link(resolve(list(from_tasks), upstream=True), resolve(to_tasks, upstream=False))
