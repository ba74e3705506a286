"""Entry point of the `kairflow` / `kubectl-kairflow` command."""

from __future__ import annotations

import typer

from kairflow import __version__
from kairflow.cli.assets import assets_app
from kairflow.cli.backfill import backfill_app
from kairflow.cli.crds import crds
from kairflow.cli.dags import dags_app
from kairflow.cli.dev import dev_app
from kairflow.cli.errors import ReportsUserErrors
from kairflow.cli.localnode_cmd import localnode
from kairflow.cli.operator_cmd import operator
from kairflow.cli.pools import pools_app
from kairflow.cli.runs import runs_app
from kairflow.cli.tasks import tasks_app
from kairflow.cli.ui_cmd import ui

app = typer.Typer(
    name="kairflow",
    help="Kairflow: Airflow's scheduling model, native on Kubernetes.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
    pretty_exceptions_enable=False,
    cls=ReportsUserErrors,  # a UserError from any command: `error: ...`, its exit code
)


@app.command()
def version() -> None:
    """Print Kairflow's version."""
    typer.echo(f"kairflow {__version__}")


app.command()(crds)
app.command()(operator)
app.command()(localnode)
app.command()(ui)
app.add_typer(dags_app)
app.add_typer(runs_app)
app.add_typer(tasks_app)
app.add_typer(backfill_app)
app.add_typer(pools_app)
app.add_typer(assets_app)
app.add_typer(dev_app)


def main() -> None:
    """The `kairflow` console script."""
    app()


if __name__ == "__main__":
    main()
