"""`kairflow tasks logs RUN TASK`: the log of one try of a task instance (Airflow's
task log view), read from the try's pod."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kairflow.cli.options import (
    Context,
    Kubeconfig,
    MapIndex,
    Namespace,
    RunName,
    TaskInstanceName,
    connect,
)
from kairflow.cli.task_logs import log_of, read_log
from kairflow.requests.task_selection import RunTasks


def tasks_logs(
    run: RunName,
    instance: TaskInstanceName,
    try_number: Annotated[
        int | None,
        typer.Option(
            "--try", metavar="N", help="Which try (default: the latest).", show_default=False
        ),
    ] = None,
    map_index: MapIndex = None,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing while the try runs.")
    ] = False,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Print the log of a task instance's try (like kubectl logs of its pod)."""
    cluster = connect(namespace, context, kubeconfig)
    target = RunTasks.of(cluster.get("dagruns", run))
    chosen = log_of(run, target.status, target.graph, instance, map_index, try_number)
    for chunk in read_log(cluster, chosen, follow=follow):
        sys.stdout.write(chunk)
        sys.stdout.flush()
