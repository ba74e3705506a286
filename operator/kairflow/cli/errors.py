"""How the CLI reports user errors: one clear line on stderr, a non-zero exit code.

A command raises `UserError` for input the user can fix (or lets a `RequestError` of
the shared request builders through: exit 2); the `kairflow` command group
(`ReportsUserErrors`) prints it as `error: <message>` and exits with its code, never
with a traceback. It sits around every command, so `kairflow ...`, `python -m
kairflow.cli.main ...` and typer's CliRunner all report errors the same way.
"""

from __future__ import annotations

from typing import Any

import typer

# typer vendors click: its UsageError (an unknown option, a missing argument) is not
# the `click` package's. Private path, pinned by the test of one-line usage errors.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from kairflow.requests.errors import RequestError

# Exit codes scripts can rely on (README, "The kairflow command").
EXIT_FAILED = 1
"""What was asked for ran and failed (a run, `dags test`)."""
EXIT_USAGE = 2
"""Invalid input: a flag, a manifest, a request the cluster refuses."""
EXIT_NOT_FOUND = 3
"""The DAG, run, backfill, task or pod named does not exist."""
EXIT_FORBIDDEN = 4
"""Kubernetes RBAC refused the request (or the credentials were rejected)."""
EXIT_UNREACHABLE = 5
"""No kubeconfig, or the cluster cannot be reached."""
EXIT_TIMEOUT = 6
"""`--wait` / `runs wait` gave up before the run finished."""
EXIT_ABORTED = 7
"""The user answered no to a confirmation."""


class UserError(Exception):
    """An error the user can fix; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def one_line(message: str) -> str:
    """`message` on one line (YAML and API errors span several)."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


class ReportsUserErrors(TyperGroup):
    """The root command group: a UserError from any command becomes `error: ...`."""

    # Any: the click Context type is typer's own (vendored) in recent typer releases.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            typer.echo(f"error: {one_line(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except RequestError as exc:
            # Input a request cannot be built from (kairflow.requests, shared with the UI).
            typer.echo(f"error: {one_line(str(exc))}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        except UsageError as exc:
            # A script parsing stderr gets one line here too, not typer's framed box.
            where = exc.ctx.command_path if exc.ctx is not None else "kairflow"
            typer.echo(f"error: {one_line(exc.format_message())} (see '{where} --help')", err=True)
            raise typer.Exit(EXIT_USAGE) from None
