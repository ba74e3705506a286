"""Names Kairflow has no equivalent for (an operator of an Airflow provider, a hook,
`conf`...): placeholders that convert what they can into a report line.

An operator placeholder called with a `task_id` becomes an `UnconvertibleTask` naming
the operator (the DAG keeps its shape); used any other way at parse time it raises a
clear error; used inside a shipped callable it is refused with the reason (it can
never run in a task: hooks need Airflow's connections).
"""

from __future__ import annotations

from typing import Any

from kairflow.airflow_import.tasks import PartialOperator, unconvertible
from kairflow.sdk.shipping.names import SHIPPED_SOURCE, Unshippable


class NotOnKairflow(AttributeError):
    """An Airflow name used at parse time that Kairflow has no equivalent for."""


class _PlaceholderType(type):
    _kf_what: str

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if "task_id" in kwargs:
            return unconvertible(kwargs, f"{cls._kf_what} has no Kairflow equivalent")
        raise NotOnKairflow(f"{cls._kf_what} is not available on Kairflow")

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "partial":
            return PartialOperator(f"{cls._kf_what} has no Kairflow equivalent")
        raise NotOnKairflow(f"{cls._kf_what}.{name} is not available on Kairflow")


def placeholder(module: str, name: str) -> type:
    """The stand-in for `module.name`."""
    what = f"{module}.{name}"
    reason = (
        f"{what} is not available to a task on Kairflow (Airflow's providers, hooks "
        "and connections do not run there)"
    )
    namespace = {"__module__": module, "_kf_what": what, SHIPPED_SOURCE: Unshippable(reason)}
    return _PlaceholderType(name, (), namespace)
