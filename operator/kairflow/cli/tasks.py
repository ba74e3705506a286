"""`kairflow tasks ...`: Clear, mark and read the logs of task instances."""

from __future__ import annotations

import typer

tasks_app = typer.Typer(
    name="tasks",
    help="Clear, mark and read the logs of task instances.",
    no_args_is_help=True,
    add_completion=False,
)
# Each command lives in its own module and registers itself here.
