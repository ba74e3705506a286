"""`kairflow backfill delete NAME...`: stop Backfills.

What the operator does (controller/backfill_sync.py): a Backfill holds its plan in its
own status, so once it is gone no further run is created or cleared. The runs it made
are DagRuns owned by the DAG (their ownerReference is the DAG, not the Backfill), so
they stay, and those in flight run to the end; they go with the DAG or the history
limits, or by hand with the label selector printed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kairflow.cli.backfill_show import runs_of
from kairflow.cli.errors import UserError
from kairflow.cli.options import Context, Kubeconfig, Namespace, connect
from kairflow.requests.backfill import stopped_words


def delete_backfills(
    names: Annotated[
        list[str],
        typer.Argument(metavar="NAME...", help="Backfills to delete.", show_default=False),
    ],
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Delete Backfills: no more of their runs are started.

    The runs a Backfill already made are not deleted with it (they belong to
    the DAG): those in flight run to the end, and all stay listed under
    `kairflow.io/backfill=NAME` until the DAG's history limits remove them.
    """
    cluster = connect(namespace, context, kubeconfig)
    errors: list[UserError] = []
    for name in names:
        try:
            made = runs_of(cluster, name)
            cluster.delete("backfills", name)
        except UserError as exc:
            errors.append(exc)
            continue
        typer.echo(f"backfill.kairflow.io/{name} deleted; {stopped_words(name, made)}")
    if errors:
        # Every name is tried (as kubectl does); the exit code is the first error's.
        raise UserError("; ".join(str(e) for e in errors), errors[0].exit_code)
