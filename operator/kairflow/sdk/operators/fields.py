"""Templated fields of classic operators: a string is a Jinja template for the engine,
an XComArg the upstream task's XCom (and a dependency)."""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.mapped import Mapped
from kairflow.sdk.xcom_arg import XComArg

if TYPE_CHECKING:
    from kairflow.sdk.baseoperator import BaseOperator

_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Jinja's filter that makes a text safe inside shell single quotes (' becomes '"'"').
_SINGLE_QUOTED = r"""replace("'", "'\"'\"'")"""


def templated(task: BaseOperator, value: Any, what: str) -> str:
    """A templated string field; an XComArg renders its value and adds a dependency; a
    mapped argument is each instance's item (rendered when a literal item is a template)."""
    if isinstance(value, Mapped):
        value.strings(what)
        return value.template(str, f"{{{{ {value.item} }}}}")
    if isinstance(value, XComArg):
        task.set_upstream(value)
        return value.template()
    if isinstance(value, str):
        return value
    raise SdkError(f"task {task.task_id!r}: {what} must be a string, not {value!r}", task.location)


def templated_list(task: BaseOperator, values: Any, what: str) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, Mapped):
        return mapped_list(values, what)
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


def mapped_list(mapped: Mapped, what: str) -> list[str]:
    """A mapped list field (a container's args): a pod's list has one entry per position,
    so the items must be literal lists of strings of one length; entry i reads `item[i]`."""
    items = mapped.literal_items(
        f"a pod's {what} is a fixed list in the manifest, so Kairflow maps {what} only "
        "over a literal list of lists of the same length, not over an upstream XCom"
    )
    if not all(isinstance(i, list) and all(isinstance(a, str) for a in i) for i in items) or (
        len({len(item) for item in items}) > 1
    ):
        raise SdkError(
            f"{mapped.where}: every item must be a list of strings, all of the same length "
            f"(a pod's {what} is a fixed list in the manifest)"
        )
    length = len(items[0]) if items else 0
    return [
        mapped.template(operator.itemgetter(i), f"{{{{ {mapped.item}[{i}] }}}}")
        for i in range(length)
    ]


def mapped_env(mapped: Mapped, what: str) -> str:
    """A mapped `env` (a dict per instance) as `export` lines to run before the command:
    the names differ from item to item, and a pod's env is one fixed list."""
    for index, item in enumerate(mapped.items or []):
        if not isinstance(item, dict):
            raise SdkError(f"{mapped.where}: {what} item {index} must be a dict, not {item!r}")
        for name, value in item.items():
            if not isinstance(name, str) or not _SHELL_NAME.fullmatch(name):
                raise SdkError(f"{mapped.where}: {what} item {index}: {name!r} is not a name")
            if isinstance(value, dict | list):
                raise SdkError(f"{mapped.where}: {what} item {index}: {name} must be a string")

    def exports(item: dict[str, Any]) -> str:
        return "".join(
            f"export {name}='{{% filter {_SINGLE_QUOTED} %}}{value}{{% endfilter %}}'\n"
            for name, value in item.items()
        )

    return mapped.template(
        exports,
        f"{{% for name, value in {mapped.item}.items() %}}export {{{{ name }}}}="
        f"'{{{{ value | string | {_SINGLE_QUOTED} }}}}'\n{{% endfor %}}",
    )
