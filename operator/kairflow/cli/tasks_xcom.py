"""`kairflow tasks xcom RUN TASK`: a task instance's XCom as JSON, read from the run's
status or, for a value over 4 KiB, from its ConfigMap."""

from __future__ import annotations

import json

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
from kairflow.cli.task_xcom import xcom_of
from kairflow.requests.task_selection import RunTasks


def tasks_xcom(
    run: RunName,
    instance: TaskInstanceName,
    map_index: MapIndex = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Print the XCom (return value) of a task instance, as JSON."""
    cluster = connect(namespace, context, kubeconfig)
    target = RunTasks.of(cluster.get("dagruns", run))
    value = xcom_of(run, target.status, target.graph, instance, map_index, cluster.binary_data)
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))
