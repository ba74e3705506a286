"""Entry point of the `kairflow` / `kubectl-kairflow` command."""

from __future__ import annotations

import sys

import typer

from kairflow import __version__
from kairflow.cli.crds import crds
from kairflow.cli.dags import dags_app
from kairflow.cli.dev import dev_app
from kairflow.cli.errors import UserError
from kairflow.cli.localnode_cmd import localnode
from kairflow.cli.operator_cmd import operator

app = typer.Typer(
    name="kairflow",
    help="Kairflow: Airflow's scheduling model, native on Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print Kairflow's version."""
    typer.echo(f"kairflow {__version__}")


app.command()(crds)
app.command()(operator)
app.command()(localnode)
app.add_typer(dags_app)
app.add_typer(dev_app)


def main() -> None:
    try:
        app()
    except UserError as exc:
        # Raised by a command for input the user can fix: one line, no traceback.
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
