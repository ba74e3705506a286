"""The source text of a function or class of a DAG file, as it can be shipped."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from kairflow.sdk.errors import Location, SdkError


def definition_location(obj: Any) -> Location:
    """Where a function or class is defined (its `def` / `class` line)."""
    code = getattr(obj, "__code__", None)
    if code is not None:
        return Location(code.co_filename, code.co_firstlineno)
    try:
        return Location(inspect.getsourcefile(obj) or "<unknown>", inspect.getsourcelines(obj)[1])
    except (OSError, TypeError):
        return Location(getattr(obj, "__module__", "<unknown>"), 0)


def definition(obj: Any, *, strip_decorators: bool) -> tuple[str, ast.FunctionDef | ast.ClassDef]:
    """The dedented source of `obj` (a function or class) and its AST node; without
    its decorators when asked (a task's own @task must not run in the task)."""
    where = definition_location(obj)
    try:
        lines, _ = inspect.getsourcelines(obj)
    except (OSError, TypeError) as exc:
        raise SdkError(f"cannot read the source of {_name(obj)}: {exc}", where) from None
    source = textwrap.dedent("".join(lines))
    try:
        module = ast.parse(source)
    except SyntaxError:
        module = None
    node = module.body[0] if module is not None and module.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        raise SdkError(
            f"{_name(obj)} cannot be shipped to a task: only functions defined with `def` "
            "(not lambdas) have a source that can be copied",
            where,
        )
    if isinstance(node, ast.AsyncFunctionDef):
        raise SdkError(f"{_name(obj)}: async functions cannot be run as tasks", where)
    if strip_decorators and node.decorator_list:
        body_start = node.lineno - 1  # the `def` line, after the decorators
        source = "".join(source.splitlines(keepends=True)[body_start:])
        node.decorator_list = []
    return source, node


def _name(obj: Any) -> str:
    return str(getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or obj)
