"""Airflow's BaseOperator arguments (and default_args keys) as Kairflow task settings.

Three kinds of keys: settings Kairflow has (`owner`, `retries`, `retry_delay`...),
Airflow arguments it has no equivalent for (`email`, `sla`, `queue`...: dropped with
a recorded warning), and documentation (`doc_md`...: dropped silently). Anything else
is a mistake and an error naming the user's line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from kairflow.sdk.callbacks import TASK_CALLBACKS, convert
from kairflow.sdk.errors import Location, SdkError, SdkWarning
from kairflow.sdk.values import duration


def _text(value: Any, what: str) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if not isinstance(value, str):
        raise SdkError(f"{what} must be a string, not {value!r}")
    return value


def _as_is(value: Any, what: str) -> Any:
    return value


Converter = Callable[[Any, str], Any]

SETTINGS: dict[str, Converter] = {
    "owner": _text,
    "image": _text,  # Kairflow's: the task's container image
    "retries": _as_is,
    "retry_delay": duration,
    "retry_exponential_backoff": _as_is,
    "max_retry_delay": duration,
    "retry_on_exit_codes": _as_is,
    "execution_timeout": duration,
    "depends_on_past": _as_is,
    "ignore_first_depends_on_past": _as_is,
    "wait_for_downstream": _as_is,
    "pool": _text,
    "pool_slots": _as_is,
    "priority_weight": _as_is,
    "weight_rule": _text,
    "trigger_rule": _text,
    "env_from": _as_is,
    "pod_template": _as_is,
    "do_xcom_push": _as_is,
}
"""Airflow argument -> converter to the TaskSettings field of the same name."""

DROPPED: frozenset[str] = frozenset(
    {
        "email", "email_on_failure", "email_on_retry", "sla", "queue", "executor",
        "executor_config", "on_skipped_callback",
        "pre_execute", "post_execute", "run_as_user", "resources", "max_active_tis_per_dag",
        "max_active_tis_per_dagrun", "task_concurrency", "inlets",
        "start_date", "end_date", "params", "owner_links", "map_index_template",
        "wait_for_past_depends_before_skipping",
        "task_display_name", "output_encoding", "cwd",
        "multiple_outputs", "show_return_value_in_logs", "logger_name", "allow_nested_operators",
    }
)  # fmt: skip
"""Airflow arguments Kairflow has no equivalent for: dropped, with a warning."""

IGNORED: frozenset[str] = frozenset(
    {"doc", "doc_md", "doc_rst", "doc_json", "doc_yaml", "provide_context", "ui_color"}
)
"""Documentation and UI arguments: dropped silently."""


def split_settings(
    arguments: Mapping[str, Any],
    where: Location,
    warnings: list[SdkWarning],
    what: str,
    others: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(settings as TaskSettings fields, the `others` keys as given). Dropped keys
    are recorded in `warnings`; unknown keys are an error at `where`."""
    settings: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key in sorted(arguments):
        value = arguments[key]
        if key in SETTINGS:
            if value is not None:
                settings[key] = SETTINGS[key](value, key)
        elif key in TASK_CALLBACKS:
            specs, dropped = convert(value, f"{what}: {key}") if value else ([], None)
            if dropped:
                warnings.append(SdkWarning(where, dropped))
            if specs:
                settings[TASK_CALLBACKS[key]] = specs
        elif key in others:
            rest[key] = value
        elif key in DROPPED:
            warnings.append(SdkWarning(where, f"{what}: {key} is not supported, ignored"))
        elif key not in IGNORED:
            raise SdkError(f"{what}: unknown argument {key!r}", where)
    return settings, rest
