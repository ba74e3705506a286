"""The source text of a function or class of a DAG file, as it can be shipped."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path
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


LAMBDA_NAME = "_kf_lambda"
"""What a lambda is called in the task that runs it (it has no name of its own)."""


def shipped_name(obj: Any) -> str:
    """The name a shipped function is defined under in the task."""
    name = str(getattr(obj, "__name__", ""))
    return LAMBDA_NAME if name == "<lambda>" else name


def _lambda_definition(obj: Any) -> tuple[str, ast.Lambda] | None:
    """`_kf_lambda = <the lambda's text>`, found in its file by its position: Airflow
    DAGs pass lambdas as callables (`python_callable=lambda: ...`) all the time."""
    code = getattr(obj, "__code__", None)
    if code is None or getattr(obj, "__name__", "") != "<lambda>":
        return None
    try:
        text = Path(code.co_filename).read_text()
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return None
    # Where the lambda's body starts, from the code object (Python 3.11 positions).
    # (RESUME comes first, with an empty span at column 0: skip empty spans.)
    body = next(
        (
            (line, column)
            for line, _, column, end in code.co_positions()
            if line is not None and column is not None and end is not None and end > column
        ),
        None,
    )
    candidates = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno
    ]
    if body is not None and len(candidates) > 1:
        candidates = [
            node
            for node in candidates
            if (node.body.lineno, node.body.col_offset)
            <= body
            <= (node.body.end_lineno or 0, node.body.end_col_offset or 0)
        ]
    if len(candidates) != 1:
        return None
    segment = ast.get_source_segment(text, candidates[0])
    if segment is None:
        return None
    return f"{LAMBDA_NAME} = {segment}\n", candidates[0]


def definition(
    obj: Any, *, strip_decorators: bool
) -> tuple[str, ast.FunctionDef | ast.ClassDef | ast.Lambda]:
    """The dedented source of `obj` (a function, class or lambda) and its AST node;
    without its decorators when asked (a task's own @task must not run in the task)."""
    where = definition_location(obj)
    lambda_source = _lambda_definition(obj)
    if lambda_source is not None:
        return lambda_source
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
            f"{_name(obj)} cannot be shipped to a task: only functions defined with `def`, "
            "and lambdas alone on their line, have a source that can be copied",
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
