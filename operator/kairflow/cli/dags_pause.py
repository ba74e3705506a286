"""`kairflow dags pause|unpause DAG...`: Airflow's on/off toggle (`spec.paused`)."""

from __future__ import annotations

from typing import Annotated

import typer

from kairflow.cli.errors import EXIT_NOT_FOUND, UserError
from kairflow.cli.kube import Cluster
from kairflow.cli.options import Context, Kubeconfig, Namespace, complete_dags, connect

Dags = Annotated[
    list[str], typer.Argument(metavar="DAG...", help="DAG names.", autocompletion=complete_dags)
]


def _set_paused(dags: list[str], paused: bool, cluster: Cluster) -> None:
    word = "paused" if paused else "unpaused"
    missing: list[str] = []
    for name in dags:
        try:
            cluster.patch("dags", name, {"spec": {"paused": paused}})
        except UserError as exc:
            if exc.exit_code != EXIT_NOT_FOUND:
                raise
            missing.append(name)
            continue
        typer.echo(f"dag.kairflow.io/{name} {word}")
    if missing:
        # The others were still done, as `kubectl patch` of several objects would.
        names = ", ".join(f'"{n}"' for n in missing)
        raise UserError(f"dag {names} not found in namespace {cluster.namespace!r}", EXIT_NOT_FOUND)


def dags_pause(
    dags: Dags,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Pause DAGs: no new scheduled runs (runs in flight go on)."""
    _set_paused(dags, True, connect(namespace, context, kubeconfig))


def dags_unpause(
    dags: Dags,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Unpause DAGs: scheduling resumes (with catchup, missed intervals run)."""
    _set_paused(dags, False, connect(namespace, context, kubeconfig))
