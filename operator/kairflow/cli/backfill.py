"""`kairflow backfill ...`: Run a DAG over past dates (Backfill resources)."""

from __future__ import annotations

import typer

backfill_app = typer.Typer(
    name="backfill",
    help="Run a DAG over past dates (Backfill resources).",
    no_args_is_help=True,
    add_completion=False,
)
# Each command lives in its own module and registers itself here.
