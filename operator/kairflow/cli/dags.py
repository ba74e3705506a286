"""`kairflow dags ...`: commands about DAG manifests (Airflow's `airflow dags ...`)."""

from __future__ import annotations

import typer

dags_app = typer.Typer(
    name="dags", help="Work with DAG manifests.", no_args_is_help=True, add_completion=False
)
# Each command lives in its own module and registers itself here:
