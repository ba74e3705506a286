"""The `python:` field of a task that runs a Python callable.

The whole field is a Jinja template the engine renders, so the shipped code sits in
`{% raw %}` blocks and only one line is rendered: `_KF_RENDERED`, a JSON text holding
the argument values, the Airflow context and the upstream XComs. It is encoded twice
(`tojson | tojson`): the outer JSON string is also a valid Python string literal, so
whatever the templates render reaches Python intact.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Any

from kairflow.sdk.shipping import runtime
from kairflow.sdk.shipping.names import ship
from kairflow.sdk.shipping.source import shipped_name
from kairflow.sdk.shipping.values import Slots, python_source
from kairflow.sdk.xcom_arg import ItemOf, MappedItem

# The runtime's code without its module docstring (it is shipped in every task).
_RUNTIME_SOURCE = Path(runtime.__file__).read_text()
_RUNTIME = _RUNTIME_SOURCE[_RUNTIME_SOURCE.index("from __future__") :]
_CONTEXT = (
    '"ds": ds, "ts": ts, "run_id": run_id, "run_type": dag_run.run_type, '
    '"data_interval_start": data_interval_start.isoformat(), '
    '"data_interval_end": data_interval_end.isoformat(), "params": params, '
    '"conf": dag_run.conf, "task_id": task.task_id, "try_number": ti.try_number, '
    '"map_index": map_index'
)


def raw(text: str) -> str:
    """`text` verbatim through Jinja: in a raw block, with every `{%` written by an
    expression, so that no `{% endraw %}` inside `text` can end the block."""
    return "{% raw %}" + text.replace("{%", "{% endraw %}{{ '{%' }}{% raw %}") + "{% endraw %}"


@dataclass(frozen=True)
class PythonCall:
    """A callable and how to call it: the arguments may hold templates and XComArgs;
    `args` or `kwargs` may be a mapped instance's whole item (MAPPED_ITEM, ItemOf)."""

    function: FunctionType
    args: Sequence[Any] | MappedItem | ItemOf = ()
    kwargs: Mapping[str, Any] | MappedItem | ItemOf | None = None
    templates_dict: Mapping[str, Any] | None = None
    mode: str = "python"  # python, branch, short_circuit, sensor, bash


def _whole(value: Any, kind: type) -> Any:
    """op_args as a list, op_kwargs as a dict, or the mapped item they are."""
    return value if isinstance(value, MappedItem | ItemOf) else kind(value)


def wants_xcoms(function: FunctionType) -> bool:
    """Whether the callable can reach `ti` (so the upstream XComs must be passed)."""
    parameters = inspect.signature(function).parameters.values()
    return any(p.kind is p.VAR_KEYWORD or p.name in ("ti", "task_instance") for p in parameters)


def python_script(
    call: PythonCall, dag_id: str, upstream: Sequence[str], mapped: Sequence[str], origin: str
) -> str:
    """The task's `python:` field. `upstream`: every task before this one (their
    XComs are passed when the callable can reach `ti`); `mapped`: which are mapped."""
    preamble, source = ship(call.function)
    slots = Slots()
    what = f"{call.function.__name__}"
    args = python_source(_whole(call.args, list), slots, f"{what}: op_args")
    kwargs = python_source(_whole(call.kwargs or {}, dict), slots, f"{what}: op_kwargs")
    if call.templates_dict is not None:
        templates = python_source(dict(call.templates_dict), slots, f"{what}: templates_dict")
    else:
        templates = "None"
    context = "{" + _CONTEXT + f', "dag_id": {json.dumps(dag_id)}'
    if wants_xcoms(call.function) and upstream:
        pulls = ", ".join(f"{json.dumps(t)}: ti.xcom_pull({json.dumps(t)})" for t in upstream)
        context += f', "xcoms": {{{pulls}}}, "mapped": {json.dumps(sorted(mapped))}'
    context += "}"
    expression = '{"values": [' + ", ".join(slots.expressions) + '], "context": ' + context + "}"
    head = f"# {origin}: {call.function.__name__}, shipped by kairflow.sdk\n"
    code = "\n\n".join(
        part
        for part in (
            preamble,
            source.rstrip("\n"),
            f'_KF_RENDERED["templates_dict"] = {templates}\n'
            f"_kf_main({shipped_name(call.function)}, {args}, {kwargs}, {call.mode!r})\n",
        )
        if part
    )
    return (
        "".join(block + "\n" for block in slots.blocks)
        + raw(head + _RUNTIME)
        + f"_KF_RENDERED = _kf_json.loads({{{{ {expression} | tojson | tojson }}}})\n"
        + raw(code)
    )
