"""`kairflow pools list`: the Pools in the cluster, as Airflow's pools page shows
them (slots, running, queued, open). `kubectl get pools` shows the same columns."""

from __future__ import annotations

from typing import Any

import typer

from kairflow.cli.options import AllNamespaces, Context, Kubeconfig, ListOutput, Namespace, connect
from kairflow.cli.output import LIST_FORMATS, check_format, console, print_objects, table

pools_app = typer.Typer(
    name="pools",
    help="Task slots shared by the DAGs of a namespace (Pool resources).",
    no_args_is_help=True,
    add_completion=False,
)


def pool_row(pool: dict[str, Any], wide: bool = False) -> list[str]:
    """Name, slots, running, queued, open (and occupied slots and description when
    wide); counts the operator has not written yet are blank, not 0."""
    spec, status = pool.get("spec") or {}, pool.get("status") or {}

    def count(field: str) -> str:
        value = status.get(field)
        return "" if value is None else str(value)

    row = [
        pool["metadata"]["name"],
        str(spec.get("slots", "")),
        count("running"),
        count("queued"),
        count("openSlots"),
    ]
    if wide:
        row += [count("occupiedSlots"), str(spec.get("description") or "")]
    return row


@pools_app.command("list")
def pools_list(
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: ListOutput = "table",
) -> None:
    """List Pools: slots, task instances running (holding slots), queued (waiting for
    a slot) and open slots. `-o wide`: occupied slots and the description too."""
    check_format(output, LIST_FORMATS)
    cluster = connect(namespace, context, kubeconfig, all_namespaces)
    pools = sorted(
        cluster.list("pools"),
        key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]),
    )
    if print_objects(pools, output):
        return
    if not pools:
        where = "any namespace" if all_namespaces else f"namespace {cluster.namespace!r}"
        typer.echo(f"No Pools in {where}: tasks use the operator's pools (default_pool).", err=True)
        return
    wide = output == "wide"
    columns = ["name", "slots", "running", "queued", "open"]
    if wide:
        columns += ["occupied", "description"]
    rows = table(*(["namespace", *columns] if all_namespaces else columns))
    for pool in pools:
        row = pool_row(pool, wide)
        rows.add_row(*([pool["metadata"].get("namespace", ""), *row] if all_namespaces else row))
    console().print(rows)
