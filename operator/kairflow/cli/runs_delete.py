"""`kairflow runs delete RUN...`: delete DAG runs (their pods go with them), like
`kubectl delete dagrun`."""

from __future__ import annotations

from typing import Annotated

import typer

from kairflow.cli.errors import UserError, one_line
from kairflow.cli.options import Context, Kubeconfig, Namespace, connect


def runs_delete(
    runs: Annotated[list[str], typer.Argument(metavar="RUN...", help="The DAG runs.")],
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Delete DAG runs (and their pods), like kubectl delete dagrun.

    A run that cannot be deleted is reported and does not stop the others.
    """
    cluster = connect(namespace, context, kubeconfig)
    exit_code = 0
    for run in dict.fromkeys(runs):
        try:
            cluster.delete("dagruns", run)
        except UserError as exc:
            # kubectl's way: report each failure as it comes, carry on, exit non-zero.
            typer.echo(f"error: {one_line(str(exc))}", err=True)
            exit_code = exc.exit_code
            continue
        typer.echo(f"dagrun.kairflow.io/{run} deleted")
    if exit_code:
        raise typer.Exit(exit_code)
