"""A DAG's callbacks checked when the DAG is read: template syntax, so a broken
callback is a DAG problem at apply time (a condition and an Event), not a surprise
when the task fails."""

from __future__ import annotations

from collections.abc import Iterator

from kairflow.api.callbacks import CallbackSpec
from kairflow.api.dag import DAGSpec, TaskSettings
from kairflow.core.templating.rendering import syntax_problem

_TASK_FIELDS = ("on_execute", "on_success", "on_failure", "on_retry")


def _of_settings(settings: TaskSettings, where: str) -> Iterator[tuple[str, CallbackSpec]]:
    for field in _TASK_FIELDS:
        for index, spec in enumerate(getattr(settings, field) or []):
            yield f"{where}: {field}[{index}]", spec


def _all(spec: DAGSpec) -> Iterator[tuple[str, CallbackSpec]]:
    yield from _of_settings(spec.defaults, "defaults")
    for group in spec.groups:
        yield from _of_settings(group.defaults, f"group {group.name!r} defaults")
    for task in spec.tasks:
        yield from _of_settings(task, f"task {task.name!r}")
    for index, callback in enumerate(spec.on_success):
        yield f"onSuccess[{index}]", callback
    for index, callback in enumerate(spec.on_failure):
        yield f"onFailure[{index}]", callback
    for index, deadline in enumerate(spec.deadlines):
        yield f"deadlines[{index}].callback", deadline.callback


def _templates(callback: CallbackSpec) -> Iterator[tuple[str, str]]:
    if callback.bash is not None:
        yield "bash", callback.bash
    if callback.python is not None:
        yield "python", callback.python
    for field, parts in (("command", callback.command), ("args", callback.args)):
        yield from ((f"{field}[{i}]", part) for i, part in enumerate(parts or []))
    for var in callback.env or []:
        if var.value is not None:
            yield f"env[{var.name}]", var.value
    hook = callback.webhook
    if hook is not None:
        if hook.text is not None:
            yield "webhook.text", hook.text
        if hook.body is not None:
            yield "webhook.body", hook.body


def callback_problems(spec: DAGSpec) -> list[str]:
    """E.g. "task 'load': on_failure[0]: bash: unexpected '}'"."""
    problems = []
    for where, callback in _all(spec):
        for field, source in _templates(callback):
            problem = syntax_problem(source)
            if problem is not None:
                problems.append(f"{where}: {field}: {problem}")
    return problems
