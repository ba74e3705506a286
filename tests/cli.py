"""Running the `kairflow` command in-process, as the console script runs it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner, Result

from kairflow.cli.main import app

_runner = CliRunner()


def kairflow(*args: str, env: dict[str, str] | None = None) -> Result:
    """`kairflow ARGS...`: its exit code, stdout and stderr (kept apart)."""
    return _runner.invoke(app, list(args), env=env)


def error_line(result: Result) -> str:
    """The one line a user error prints: nothing on stdout, `error: ...` alone on
    stderr, and an exit rather than an escaped exception (which would print a traceback)."""
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def write_dag(directory: Path, spec: str, name: str = "t") -> Path:
    """A DAG manifest `name`.yaml whose spec is the YAML `spec` (dedented)."""
    body = textwrap.indent(textwrap.dedent(spec).strip(), "  ")
    path = directory / f"{name}.yaml"
    path.write_text(
        f"apiVersion: kairflow.io/v1alpha1\nkind: DAG\nmetadata:\n  name: {name}\nspec:\n{body}\n"
    )
    return path
