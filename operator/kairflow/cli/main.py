"""Entry point of the `kairflow` / `kubectl-kairflow` command."""

from __future__ import annotations

import typer

from kairflow import __version__
from kairflow.cli.crds import crds

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
