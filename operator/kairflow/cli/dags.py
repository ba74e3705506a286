"""`kairflow dags ...`: commands about DAG manifests (Airflow's `airflow dags ...`)."""

from __future__ import annotations

import typer

dags_app = typer.Typer(
    name="dags", help="Work with DAG manifests.", no_args_is_help=True, add_completion=False
)
# Each command lives in its own module and registers itself here:
from kairflow.cli.dags_test import dags_test  # noqa: E402

dags_app.command("test")(dags_test)
from kairflow.cli.next_execution import next_execution  # noqa: E402

dags_app.command("next-execution")(next_execution)
from kairflow.cli.render import render  # noqa: E402

dags_app.command("render")(render)
