"""`kairflow runs logs RUN`: every task instance's log (its latest try) in DAG order,
each under a `==> task (try N, state) <==` header, like `tail` prints several files."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kairflow.cli.errors import EXIT_NOT_FOUND, UserError
from kairflow.cli.options import Context, Kubeconfig, Namespace, connect
from kairflow.cli.task_logs import LogOf, header, pod_of, read_log
from kairflow.requests.task_selection import RunTasks, instances_in_order


def runs_logs(
    run: Annotated[str, typer.Argument(metavar="RUN", help="The DAG run.")],
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Print every task instance's log (latest try) in DAG order."""
    cluster = connect(namespace, context, kubeconfig)
    target = RunTasks.of(cluster.get("dagruns", run))
    out = sys.stdout
    for number, key in enumerate(instances_in_order(target.status, target.graph)):
        ti = target.status.task_instances.get(key)
        out.write(("\n" if number else "") + header(key, ti) + "\n")
        if ti is None or ti.try_number == 0:
            if ti is not None and ti.message:
                out.write(ti.message + "\n")
            continue
        chosen = LogOf(key, ti.try_number, pod_of(run, key, ti, ti.try_number))
        text = ""
        try:
            text = "".join(read_log(cluster, chosen))
        except UserError as exc:
            if exc.exit_code != EXIT_NOT_FOUND:
                raise
            text = f"({exc})"
        out.write(text if text.endswith("\n") or not text else text + "\n")
