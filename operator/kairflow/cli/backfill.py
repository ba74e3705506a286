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
from kairflow.cli.backfill_create import create  # noqa: E402

backfill_app.command("create")(create)
from kairflow.cli.backfill_show import get_backfill, list_backfills  # noqa: E402

backfill_app.command("list")(list_backfills)
backfill_app.command("get")(get_backfill)
from kairflow.cli.backfill_delete import delete_backfills  # noqa: E402

backfill_app.command("delete")(delete_backfills)
