"""`kairflow dags trigger DAG`: a manual run (Airflow's "Trigger DAG"), optionally
followed live until it finishes. The run itself is `kairflow.requests.trigger`'s."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from kairflow.cli.options import Context, DagName, Kubeconfig, Namespace, Output, connect
from kairflow.cli.output import check_format, print_objects
from kairflow.cli.run_conf import parse_conf
from kairflow.cli.run_follow import follow, raise_if_failed
from kairflow.requests.trigger import check_conf, logical_date, manual_run


def dags_trigger(
    dag: DagName,
    conf: Annotated[
        str | None,
        typer.Option("-c", "--conf", metavar="JSON|@FILE", help="The run's conf (a JSON object)."),
    ] = None,
    logical_date_text: Annotated[
        str | None,
        typer.Option(
            "--logical-date",
            "-e",
            metavar="DATE",
            help="Logical date (ISO-8601; naive = the DAG's time zone). Default: now.",
        ),
    ] = None,
    run_name: Annotated[
        str | None, typer.Option("--run-name", metavar="NAME", help="Name the DagRun yourself.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Follow the run; exit 1 if it fails.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", metavar="SECONDS", help="With --wait: give up (exit 6)."),
    ] = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: Output = "name",
) -> None:
    """Trigger a run of DAG now (or for --logical-date), with --conf."""
    check_format(output, ("name", "json", "yaml"))
    run_conf = parse_conf(conf) or {}
    cluster = connect(namespace, context, kubeconfig)
    spec = cluster.get("dags", dag).get("spec") or {}
    check_conf(spec, run_conf)
    zone = str(spec.get("timezone") or "UTC")
    when = logical_date(logical_date_text, zone, datetime.now(UTC))
    created = cluster.create("dagruns", manual_run(dag, when, run_conf, run_name))
    name = created["metadata"]["name"]
    if output == "name":
        typer.echo(f"dagrun.kairflow.io/{name} created")
    if wait:
        created = follow(cluster, name, timeout, sys.stdout if output == "name" else sys.stderr)
    if output != "name":
        print_objects([created], output, single=True)
    raise_if_failed(created)
