"""`kairflow backfill list [DAG]` and `kairflow backfill get NAME`: Backfills, their
progress, the dates still to start and the runs they made."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

import typer

from kairflow.api.backfill import BackfillPlan
from kairflow.cli.kube import Cluster
from kairflow.cli.options import (
    AllNamespaces,
    Context,
    Kubeconfig,
    Namespace,
    Output,
    connect,
)
from kairflow.cli.output import age, check_format, console, print_objects, table
from kairflow.core import labels
from kairflow.core.backfill_plan import from_status
from kairflow.core.naming import label_value
from kairflow.core.times import instant, iso
from kairflow.requests.backfill import made_by

PENDING_SHOWN = 3


def state_of(status: dict[str, Any]) -> str:
    """The Backfill's state; `pending` until the operator has planned it."""
    return str(status.get("state") or "pending")


def progress_words(status: dict[str, Any]) -> str:
    """`created/total, succeeded, failed`, e.g. `3/5 created, 2 succeeded, 0 failed`."""
    total = status.get("total")
    if total is None:
        return "not planned yet"
    return (
        f"{status.get('created') or 0}/{total} created, "
        f"{status.get('succeeded') or 0} succeeded, {status.get('failed') or 0} failed"
    )


def pending_words(status: dict[str, Any], shown: int = PENDING_SHOWN) -> str:
    """How many runs are still to start, and the first few logical dates (with their
    action): the status keeps the plan and a cursor, the dates come from the plan."""
    remaining = status.get("remaining") or 0
    cursor, plan = status.get("nextLogicalDate"), status.get("plan")
    if not remaining or not cursor or not plan:
        return "none"
    dates = from_status(BackfillPlan.model_validate(plan)).items(instant(cursor))
    first = ", ".join(
        f"{iso(item.logical_date)} ({item.action.value})" for item in islice(dates, shown)
    )
    more = remaining - shown
    return f"{remaining}: {first}" + (f", and {more} more" if more > 0 else "")


def list_backfills(
    dag: Annotated[
        str | None,
        typer.Argument(metavar="[DAG]", help="Only this DAG's backfills.", show_default=False),
    ] = None,
    all_namespaces: AllNamespaces = False,
    output: Output = "table",
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """List Backfills: their DAG, range, state and progress."""
    check_format(output)
    cluster = connect(namespace, context, kubeconfig, all_namespaces)
    found = [b for b in cluster.list("backfills") if dag is None or b["spec"].get("dagName") == dag]
    found.sort(key=lambda b: (b["metadata"].get("namespace", ""), b["metadata"]["name"]))
    if print_objects(found, output):
        return
    if not found:
        where = "" if all_namespaces else f" in namespace {cluster.namespace!r}"
        of = f" of DAG {dag!r}" if dag else ""
        typer.echo(f"No backfills{of} found{where}.", err=True)
        return
    columns = ["name", "dag", "from", "to", "state", "progress", "age"]
    rows = table(*(["namespace"] if all_namespaces else []), *columns)
    for body in found:
        meta, spec, status = body["metadata"], body["spec"], body.get("status") or {}
        rows.add_row(
            *([meta.get("namespace", "")] if all_namespaces else []),
            meta["name"],
            spec.get("dagName", ""),
            str(spec.get("from", "")),
            str(spec.get("to", "")),
            state_of(status),
            progress_words(status),
            age(meta.get("creationTimestamp")),
        )
    console().print(rows)


def runs_of(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    """The DagRuns this Backfill created or cleared, by logical date: the label selects
    them, the annotation (the full name; the label may be hashed) confirms it, as the
    operator reads it (`observe_run`). As stored: callers show and delete the runs,
    never their task instances, so a big run's slices are not read."""
    selector = f"{labels.BACKFILL}={label_value(name)}"
    selected = cluster.list("dagruns", label_selector=selector, whole=False)
    return made_by(name, selected)


def _conf(spec: dict[str, Any]) -> str:
    conf = spec.get("conf")
    return str(conf) if conf else "{}"


def get_backfill(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The Backfill.", show_default=False)],
    output: Output = "table",
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Show a Backfill: its request, progress, pending dates and runs."""
    check_format(output)
    cluster = connect(namespace, context, kubeconfig)
    body = cluster.get("backfills", name)  # not found: exit 3
    if print_objects([body], output, single=True):
        return
    spec, status = body["spec"], body.get("status") or {}
    out = console()
    facts = [
        ("Name", f"{name} (namespace {body['metadata'].get('namespace', cluster.namespace)})"),
        ("DAG", spec.get("dagName", "")),
        ("Logical dates", f"{spec.get('from')} to {spec.get('to')}, both inclusive"),
        ("Reprocess", spec.get("reprocess", "none")),
        ("Order", "newest first" if spec.get("runBackwards") else "oldest first"),
        ("Max active runs", str(spec.get("maxActiveRuns") or "the DAG's")),
        ("Conf", _conf(spec)),
        ("State", state_of(status)),
        ("Progress", progress_words(status)),
    ]
    if status.get("message"):
        facts.append(("Message", str(status["message"])))
    facts.append(("Pending", pending_words(status)))
    facts.append(("Age", age(body["metadata"].get("creationTimestamp"))))
    width = max(len(label) for label, _ in facts) + 2
    for label, value in facts:
        out.print(f"{label + ':':<{width}}{value}")
    runs = runs_of(cluster, name)
    if not runs:
        out.print("Runs:".ljust(width) + "none yet")
        return
    out.print(f"Runs ({len(runs)}):")
    rows = table("name", "logical date", "type", "state", "age")
    for run in runs:
        run_status = run.get("status") or {}
        rows.add_row(
            run["metadata"]["name"],
            str(run_status.get("logicalDate") or run["spec"].get("logicalDate") or ""),
            str(run["spec"].get("runType", "")),
            str(run_status.get("state") or "pending"),
            age(run["metadata"].get("creationTimestamp")),
        )
    out.print(rows)
