"""`kairflow runs grid DAG`, `runs graph RUN`, `runs gantt RUN`: Airflow's grid,
graph and Gantt views, drawn in the terminal (the views are in `cli.views`)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from kairflow.api import DAG, DagRun
from kairflow.cli.options import Context, DagName, Kubeconfig, Namespace, RunName, connect
from kairflow.cli.output import check_format, console
from kairflow.cli.runs_list import runs_of
from kairflow.cli.views.gantt import run_gantt
from kairflow.cli.views.graph import run_graph, run_graph_dot
from kairflow.cli.views.grid import runs_grid
from kairflow.cli.views.states import legend


def runs_grid_cmd(
    dag: DagName,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, help="The newest N runs at most.")
    ] = 25,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """The grid of a DAG's recent runs: runs as columns (newest right), tasks as rows in
    DAG order, one state symbol per task instance (Airflow's Grid view)."""
    cluster = connect(namespace, context, kubeconfig)
    found = DAG.model_validate(cluster.get("dags", dag))
    runs = [DagRun.model_validate(r) for r in runs_of(cluster, dag, last=limit)]
    out = console()
    if not runs:
        out.print(f"dag {dag} has no runs yet.")
        return
    out.print(runs_grid(found.spec, runs))  # the grid ends with its legend


def runs_graph_cmd(
    run: RunName,
    output: Annotated[
        str,
        typer.Option("-o", "--output", metavar="FORMAT", help="table (default) or dot (Graphviz)."),
    ] = "table",
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """The run's DAG with each task's state, layer by layer; `-o dot` prints Graphviz
    (`kairflow runs graph RUN -o dot | dot -Tsvg > run.svg`)."""
    check_format(output, ("table", "dot"))
    cluster = connect(namespace, context, kubeconfig)
    found = DagRun.model_validate(cluster.get("dagruns", run))
    if output == "dot":
        sys.stdout.write(run_graph_dot(found))
        return
    out = console()
    out.print(run_graph(found))
    out.print(legend())


def runs_gantt_cmd(
    run: RunName,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """When each task instance of the run was queued and ran, on one time axis (UTC)."""
    cluster = connect(namespace, context, kubeconfig)
    found = DagRun.model_validate(cluster.get("dagruns", run))
    out = console()
    out.print(run_gantt(found, out.width, now=datetime.now(UTC)))
