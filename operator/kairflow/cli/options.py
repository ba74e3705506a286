"""Options every cluster command takes, spelled as kubectl spells them.

Each command declares them itself (`namespace: Namespace = None`, ...) rather than the
root group, so they go after the command like kubectl's (`kairflow runs list -n etl`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from kairflow.cli.errors import UserError
from kairflow.cli.kube import Cluster, Target

Namespace = Annotated[
    str | None,
    typer.Option(
        "-n",
        "--namespace",
        metavar="NS",
        help="Namespace (default: the kubeconfig context's, else `default`).",
        show_default=False,
    ),
]
NamespaceLong = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        metavar="NS",
        help="Namespace of a DAG named from the cluster (default: the kubeconfig context's).",
        show_default=False,
    ),
]
"""For commands where `-n` keeps Airflow's meaning (`next-execution -n 3`)."""
AllNamespaces = Annotated[
    bool, typer.Option("-A", "--all-namespaces", help="List across all namespaces.")
]
Context = Annotated[
    str | None,
    typer.Option(
        "--context", metavar="NAME", help="kubeconfig context to use.", show_default=False
    ),
]
Kubeconfig = Annotated[
    str | None,
    typer.Option(
        "--kubeconfig",
        metavar="FILE",
        envvar="KUBECONFIG",
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
        show_default=False,
    ),
]
Output = Annotated[
    str,
    typer.Option("-o", "--output", metavar="FORMAT", help="table (default), json, yaml or name."),
]
ListOutput = Annotated[
    str,
    typer.Option(
        "-o", "--output", metavar="FORMAT", help="table (default), wide, json, yaml or name."
    ),
]
RequestOutput = Annotated[
    str,
    typer.Option(
        "-o",
        "--output",
        metavar="FORMAT",
        help="table (default) or json (the request and the task instances it names).",
    ),
]
Yes = Annotated[bool, typer.Option("-y", "--yes", help="Do not ask for confirmation.")]


def connect(
    namespace: str | None,
    context: str | None,
    kubeconfig: str | None,
    all_namespaces: bool = False,
) -> Cluster:
    """The cluster a command's flags name."""
    return Cluster(Target(kubeconfig, context, namespace, all_namespaces))


def _completer(plural: str) -> Callable[[typer.Context, str], list[str]]:
    """Shell completion of object names from the cluster, in the namespace the command
    line names so far; silent (no names) when the cluster cannot be asked."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        params = ctx.params
        try:
            cluster = connect(
                params.get("namespace"), params.get("context"), params.get("kubeconfig")
            )
            names = [o["metadata"]["name"] for o in cluster.list(plural, whole=False)]
        except (UserError, KeyError):
            return []
        return sorted(n for n in names if n.startswith(incomplete))

    return complete


complete_dags = _completer("dags")
complete_runs = _completer("dagruns")
complete_backfills = _completer("backfills")

DagName = Annotated[
    str, typer.Argument(metavar="DAG", help="DAG name.", autocompletion=complete_dags)
]
RunName = Annotated[
    str, typer.Argument(metavar="RUN", help="DagRun name.", autocompletion=complete_runs)
]
TaskInstanceName = Annotated[
    str, typer.Argument(metavar="TASK", help="The task; TASK[I] for a mapped instance.")
]
MapIndex = Annotated[
    int | None,
    typer.Option(
        "--map-index", metavar="I", help="The mapped instance's index.", show_default=False
    ),
]
