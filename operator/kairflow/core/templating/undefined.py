"""Undefined names fail (StrictUndefined) instead of rendering as empty strings, and
say what Kairflow offers instead of Airflow's names it does not provide."""

from __future__ import annotations

from jinja2 import StrictUndefined
from jinja2.utils import missing

from kairflow.core.templating.names import template_name

__all__ = ["UNSUPPORTED_NAMES", "KairflowUndefined"]

UNSUPPORTED_NAMES = {
    "var": "'var' is not supported: Airflow Variables become ConfigMaps or Secrets; "
    "pass them to the task with env / envFrom and read them from the environment",
    "conn": "'conn' is not supported: Airflow Connections become Secrets; "
    "pass them to the task with env / envFrom and read them from the environment",
    "conf": "'conf' (Airflow's configuration) is not available; "
    "the run's configuration is dag_run.conf",
    "item": "'item' is only defined for mapped task instances (expand)",
}
"""Names users may try that Kairflow does not provide, with what to do instead."""
# Deprecated in Airflow 2.2 and tied to the timetable; the data interval replaces them.
UNSUPPORTED_NAMES.update(
    {
        name: f"{name!r} is not supported (deprecated since Airflow 2.2); "
        "use data_interval_start / data_interval_end"
        for name in (
            "next_ds",
            "next_ds_nodash",
            "next_execution_date",
            "prev_ds",
            "prev_ds_nodash",
            "prev_execution_date",
            "prev_execution_date_success",
        )
    }
)


class KairflowUndefined(StrictUndefined):
    """StrictUndefined whose messages use template names and explain what Kairflow
    does not support."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        if self._undefined_obj is missing:
            if isinstance(name, str) and name in UNSUPPORTED_NAMES:
                return UNSUPPORTED_NAMES[name]
            return f"{name!r} is undefined"
        owner = template_name(self._undefined_obj)
        if owner is None:
            return str(super()._undefined_message)
        if not isinstance(name, str):
            return f"{owner!r} has no element {name!r}"
        return f"{owner!r} has no attribute {name!r}"
