"""Rendering a task's templated fields: `bash`, `python`, `command`, `args` and
`env[].value`. Every failure becomes a `TemplateError` naming the field, including
a render that runs out of its CPU budget (`budget`)."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from jinja2 import Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from kairflow.api.dag import TaskSpec
from kairflow.api.env import EnvVar
from kairflow.core.templating.budget import BudgetExceeded, CpuDeadline, watching
from kairflow.core.templating.errors import TemplateError
from kairflow.core.templating.sandbox import compile_template

__all__ = [
    "MAX_RENDERED_CHARS",
    "RenderedTask",
    "check_template_syntax",
    "has_templates",
    "render",
    "render_task",
    "syntax_problem",
]

MAX_RENDERED_CHARS = 1_000_000
"""Largest rendered field (a Kubernetes object is at most ~1.5 MiB anyway)."""


@dataclass(frozen=True)
class RenderedTask:
    """A task's templated fields after rendering (None where the task has none)."""

    bash: str | None = None
    python: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None


def _has_markup(source: str) -> bool:
    return "{{" in source or "{%" in source or "{#" in source


def _syntax_detail(source: str, exc: TemplateSyntaxError) -> str:
    detail = (exc.message or str(exc)).rstrip(".")
    if "\n" in source.rstrip("\n") and exc.lineno:
        return f"line {exc.lineno}: {detail}"
    return detail


def render(
    template: str, context: Mapping[str, Any], where: str, budget: timedelta | None = None
) -> str:
    """Render one templated field; every failure is a TemplateError naming `where`.

    `budget` bounds the CPU time of the render (see `budget`); None: no bound.
    """
    deadline = None if budget is None else CpuDeadline.starting_now(budget)
    return _render(template, context, where, deadline)


def _render(
    template: str, context: Mapping[str, Any], where: str, deadline: CpuDeadline | None
) -> str:
    if not _has_markup(template):
        return template
    try:
        return _generate(compile_template(template), context, where, deadline)
    except TemplateError:
        raise
    except BudgetExceeded as exc:
        raise TemplateError(where, str(exc)) from exc
    except TemplateSyntaxError as exc:
        raise TemplateError(where, _syntax_detail(template, exc)) from exc
    except (SecurityError, UndefinedError) as exc:  # unsafe access, refused, undefined
        raise TemplateError(where, str(exc).rstrip(".")) from exc
    except Exception as exc:  # a template must never crash the operator
        raise TemplateError(where, f"{type(exc).__name__}: {exc}") from exc


def _generate(
    compiled: Template, context: Mapping[str, Any], where: str, deadline: CpuDeadline | None
) -> str:
    with watching(deadline):
        chunks: list[str] = []
        size = 0
        # Jinja types it as an Iterator; it is a generator, and closing it matters.
        generator = cast(Generator[str, None, None], compiled.generate(context))
        try:
            for chunk in generator:
                size += len(chunk)
                if size > MAX_RENDERED_CHARS:
                    raise TemplateError(
                        where,
                        f"rendered value is too large (over {MAX_RENDERED_CHARS} characters)",
                    )
                chunks.append(chunk)
        finally:
            generator.close()  # no template frame outlives the watch
        return "".join(chunks)


def _templated_fields(task: TaskSpec) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    if task.bash is not None:
        fields.append(("bash", task.bash))
    if task.python is not None:
        fields.append(("python", task.python))
    fields.extend((f"command[{i}]", part) for i, part in enumerate(task.command or []))
    fields.extend((f"args[{i}]", part) for i, part in enumerate(task.args or []))
    fields.extend(
        (f"env[{var.name}]", var.value) for var in task.env or [] if var.value is not None
    )
    trigger = task.trigger_dag_run
    if trigger is not None:
        fields.extend(_strings("triggerDagRun.conf", trigger.conf))
        fields.extend(
            (f"triggerDagRun.{where}", value)
            for where, value in (("runId", trigger.run_id), ("logicalDate", trigger.logical_date))
            if value is not None
        )
    if task.approval is not None:
        fields.append(("approval.subject", task.approval.subject))
        if task.approval.body is not None:
            fields.append(("approval.body", task.approval.body))
    return fields


def has_templates(task: TaskSpec) -> bool:
    """Whether any of the task's templated fields holds Jinja markup: a task without
    renders as written, and needs no context."""
    return any(_has_markup(source) for _, source in _templated_fields(task))


def _strings(where: str, value: Any) -> list[tuple[str, str]]:
    """The strings of a templated JSON value, each with its place."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _strings(f"{where}.{k}", v)]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _strings(f"{where}[{i}]", v)]
    return []


def render_task(
    task: TaskSpec, context: Mapping[str, Any], budget: timedelta | None = None
) -> RenderedTask:
    """Render a task's templated fields (bash, python, command, args, env values).

    `budget` bounds the CPU time of all the task's fields together, from the first
    that holds markup (None: no bound);
    the error of a render that runs out names the field being rendered then.
    Raises the TemplateError of the first field that fails.
    """
    deadline: CpuDeadline | None = None

    def field(source: str, where: str) -> str:
        nonlocal deadline
        # The budget starts with the first field that has markup: reading the thread's
        # CPU clock is a system call (~8 us in a VM, far more on a loaded one), and a
        # fan-out of 5,000 plain tasks read it 5,000 times in one pass.
        if deadline is None and budget is not None and _has_markup(source):
            deadline = CpuDeadline.starting_now(budget)
        return _render(source, context, where, deadline)

    def one(where: str, source: str | None) -> str | None:
        return None if source is None else field(source, where)

    def many(where: str, sources: list[str] | None) -> list[str] | None:
        if sources is None:
            return None
        return [field(part, f"{where}[{i}]") for i, part in enumerate(sources)]

    env = None
    if task.env is not None:
        env = [
            var
            if var.value is None
            else var.model_copy(update={"value": field(var.value, f"env[{var.name}]")})
            for var in task.env
        ]
    return RenderedTask(
        bash=one("bash", task.bash),
        python=one("python", task.python),
        command=many("command", task.command),
        args=many("args", task.args),
        env=env,
    )


def check_template_syntax(task: TaskSpec) -> list[str]:
    """Syntax errors in a task's templates, found by parsing and compiling without
    rendering (unknown filters are found too), e.g.
    "task 'x': bash: unexpected end of template, expected 'end of print statement'"."""
    problems: list[str] = []
    for where, source in _templated_fields(task):
        problem = syntax_problem(source)
        if problem is not None:
            problems.append(f"task {task.name!r}: {where}: {problem}")
    return problems


def syntax_problem(source: str) -> str | None:
    """What is wrong with the syntax of one template (None: nothing), found by
    compiling it without rendering."""
    if not _has_markup(source):
        return None
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        return _syntax_detail(source, exc)
    return None
