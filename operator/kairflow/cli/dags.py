"""`kairflow dags ...`: commands about DAG manifests (Airflow's `airflow dags ...`)."""

from __future__ import annotations

import typer

dags_app = typer.Typer(
    name="dags",
    help="Work with DAGs: list, show, trigger, pause, test, render and apply them.",
    no_args_is_help=True,
    add_completion=False,
)
# Each command lives in its own module and registers itself here:
from kairflow.cli.dags_test import dags_test  # noqa: E402

dags_app.command("test")(dags_test)
from kairflow.cli.next_execution import next_execution  # noqa: E402

dags_app.command("next-execution")(next_execution)
from kairflow.cli.dags_list import dags_list, dags_show  # noqa: E402

dags_app.command("list")(dags_list)
dags_app.command("show")(dags_show)
from kairflow.cli.dags_pause import dags_pause, dags_unpause  # noqa: E402

dags_app.command("pause")(dags_pause)
dags_app.command("unpause")(dags_unpause)
from kairflow.cli.dags_trigger import dags_trigger  # noqa: E402

dags_app.command("trigger")(dags_trigger)
from kairflow.cli.render import render  # noqa: E402

dags_app.command("render")(render)
from kairflow.cli.dags_apply import dags_apply  # noqa: E402

dags_app.command("apply")(dags_apply)
from kairflow.cli.import_airflow import import_airflow  # noqa: E402

dags_app.command("import-airflow")(import_airflow)
