"""`kairflow runs ...`: Work with DAG runs (DagRun resources)."""

from __future__ import annotations

import typer

runs_app = typer.Typer(
    name="runs",
    help="Work with DAG runs (DagRun resources).",
    no_args_is_help=True,
    add_completion=False,
)
# Each command lives in its own module and registers itself here.
