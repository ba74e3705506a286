"""Templated fields of classic operators: a string is a Jinja template for the engine,
an XComArg the upstream task's XCom (and a dependency)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.xcom_arg import XComArg

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator


def templated(task: BaseOperator, value: Any, what: str) -> str:
    """A templated string field; an XComArg renders its value and adds a dependency."""
    if isinstance(value, XComArg):
        task.set_upstream(value)
        return value.template()
    if isinstance(value, str):
        return value
    raise SdkError(f"task {task.task_id!r}: {what} must be a string, not {value!r}", task.location)


def templated_list(task: BaseOperator, values: Any, what: str) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str | XComArg):
        values = [values]
    return [templated(task, v, f"{what}[{i}]") for i, v in enumerate(values)]


def env_vars(task: BaseOperator, env: Any, what: str) -> list[dict[str, Any]] | None:
    """A dict, or a list of {name, value} dicts or V1EnvVar-like objects, as EnvVar
    dicts in the given order; a value that is a dict is a Kubernetes EnvVarSource."""
    if env is None:
        return None
    if isinstance(env, Mapping):
        pairs = list(env.items())
    elif isinstance(env, list | tuple):
        pairs = [_pair(task, var, what) for var in env]
    else:
        raise SdkError(f"task {task.task_id!r}: {what} must be a dict or a list", task.location)
    out: list[dict[str, Any]] = []
    for name, value in pairs:
        if isinstance(value, Mapping):
            out.append({"name": str(name), "value_from": dict(value)})
        else:
            text = value if isinstance(value, XComArg) else str(value)
            out.append({"name": str(name), "value": templated(task, text, f"{what}[{name}]")})
    return out


def _pair(task: BaseOperator, var: Any, what: str) -> tuple[str, Any]:
    if isinstance(var, Mapping) and "name" in var:
        source = var.get("value_from", var.get("valueFrom"))
        return str(var["name"]), source if source is not None else var.get("value", "")
    if hasattr(var, "name"):
        source = getattr(var, "value_from", None)
        return str(var.name), source if source is not None else getattr(var, "value", "")
    raise SdkError(f"task {task.task_id!r}: {what}: cannot read {var!r}", task.location)
