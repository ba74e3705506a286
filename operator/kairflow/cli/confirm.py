"""Asking before a change that cannot be taken back (clear, mark), as Airflow's UI
does, and never hanging a script: without a terminal to ask on, refuse unless --yes."""

from __future__ import annotations

import sys

import typer

from kairflow.cli.errors import EXIT_ABORTED, EXIT_USAGE, UserError


def confirm(question: str, *, yes: bool, err: bool = False) -> None:
    """Return when the user agreed (or passed --yes); raise UserError otherwise.

    `question` is asked as is (`Clear 3 task instances in 1 run?`); `err` asks on
    stderr, for commands whose stdout is a machine format.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise UserError(
            f"{question.rstrip('?')}: not asking, stdin is not a terminal; pass --yes to confirm",
            EXIT_USAGE,
        )
    if not typer.confirm(question, default=False, err=err):
        raise UserError("aborted; nothing was changed", EXIT_ABORTED)
