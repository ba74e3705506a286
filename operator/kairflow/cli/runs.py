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
from kairflow.cli.runs_list import runs_get, runs_list, runs_wait  # noqa: E402

runs_app.command("list")(runs_list)
runs_app.command("get")(runs_get)
runs_app.command("wait")(runs_wait)
from kairflow.cli.runs_views import runs_gantt_cmd, runs_graph_cmd, runs_grid_cmd  # noqa: E402

runs_app.command("grid")(runs_grid_cmd)
runs_app.command("graph")(runs_graph_cmd)
runs_app.command("gantt")(runs_gantt_cmd)
from kairflow.cli.runs_logs import runs_logs  # noqa: E402

runs_app.command("logs")(runs_logs)
from kairflow.cli.runs_delete import runs_delete  # noqa: E402

runs_app.command("delete")(runs_delete)
