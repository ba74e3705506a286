"""`kairflow runs list [DAG]`, `runs get RUN`, `runs wait RUN`: DAG runs as Airflow's
"DAG Runs" page and run details show them."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from kairflow.api import DagRun
from kairflow.cli.errors import UserError
from kairflow.cli.kube import Cluster
from kairflow.cli.options import (
    AllNamespaces,
    Context,
    Kubeconfig,
    ListOutput,
    Namespace,
    Output,
    RunName,
    complete_dags,
    connect,
)
from kairflow.cli.output import (
    LIST_FORMATS,
    age,
    check_format,
    console,
    keep_first_column,
    print_objects,
    short_time,
    table,
)
from kairflow.cli.run_follow import follow, raise_if_failed
from kairflow.cli.views.states import state_text
from kairflow.cli.views.tree import run_tree

RUN_STATES = ("queued", "running", "success", "failed")


def runs_of(
    cluster: Cluster, dag: str | None, last: int | None = None, whole: bool = True
) -> list[dict[str, Any]]:
    """Runs in the namespace (or all with -A), of one DAG if given, oldest first (the
    `last` newest only, when given); as stored when not `whole` (their own fields only:
    no DAG version nor slices read).

    Chosen by `spec.dagName`, not the `kairflow.io/dag` label: a run created a moment
    ago carries no label until the operator adopts it."""
    runs = cluster.list("dagruns", whole=False)
    if dag is not None:
        runs = [r for r in runs if (r.get("spec") or {}).get("dagName") == dag]
    chosen = sorted(runs, key=_order)[-last:] if last else sorted(runs, key=_order)
    # Read whole once chosen: only these big runs' slices are listed.
    return cluster.whole_runs(chosen) if whole else chosen


def _order(run: dict[str, Any]) -> tuple[str, str, str]:
    status = run.get("status") or {}
    when = status.get("logicalDate") or (run.get("spec") or {}).get("logicalDate") or ""
    return (run["metadata"].get("namespace", ""), str(when), run["metadata"]["name"])


def run_row(run: dict[str, Any], wide: bool = False) -> list[str | Text]:
    spec, status = run.get("spec") or {}, run.get("status") or {}
    row: list[str | Text] = [
        run["metadata"]["name"],
        state_text(status.get("state"), run=True),
        short_time(status.get("logicalDate") or spec.get("logicalDate")),
        str(status.get("progress") or ""),
        str(status.get("duration") or ""),
        age(run["metadata"].get("creationTimestamp")),
    ]
    if wide:
        row[1:1] = [str(spec.get("dagName", "")), str(spec.get("runType", "manual"))]
        row.append(str(status.get("message") or ""))
    return row


def runs_list(
    dag: Annotated[
        str | None,
        typer.Argument(metavar="[DAG]", help="Only this DAG's runs.", autocompletion=complete_dags),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option("--state", metavar="STATE", help="queued, running, success or failed."),
    ] = None,
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: ListOutput = "table",
) -> None:
    """List DAG runs, oldest first: state, logical date (UTC), progress, duration.
    `-o wide`: the DAG, the run type and the run's message too."""
    check_format(output, LIST_FORMATS)
    if state is not None and state not in RUN_STATES:
        raise UserError(f"--state: {state!r} is not a run state ({', '.join(RUN_STATES)})")
    cluster = connect(namespace, context, kubeconfig, all_namespaces)
    # The table shows the runs' own fields: their task instances are read (from their
    # slices, for big runs) only for -o json and -o yaml.
    runs = runs_of(cluster, dag, whole=output in ("json", "yaml"))
    if state is not None:
        runs = [r for r in runs if (r.get("status") or {}).get("state") == state]
    if print_objects(runs, output):
        return
    out = console()
    if not runs:
        out.print("No runs found.")
        return
    wide = output == "wide"
    columns = ["run", "state", "logical date", "progress", "duration", "age"]
    if wide:
        columns[1:1] = ["dag", "type"]
        columns.append("message")
    rows = table(*(["namespace", *columns] if all_namespaces else columns))
    for run in runs:
        row = run_row(run, wide)
        rows.add_row(*([run["metadata"].get("namespace", ""), *row] if all_namespaces else row))
    if not all_namespaces:
        keep_first_column(rows, [r["metadata"]["name"] for r in runs])
    out.print(rows)


def run_details(run: dict[str, Any]) -> Table:
    """The run's facts, one per line (Airflow's run details)."""
    spec, status = run.get("spec") or {}, run.get("status") or {}
    details = Table.grid(padding=(0, 2))
    details.add_column(style="bold")
    details.add_column(overflow="fold")
    interval = ""
    if status.get("dataIntervalStart"):
        interval = f"{status['dataIntervalStart']} → {status.get('dataIntervalEnd', '')}"
    facts: list[tuple[str, str | Text]] = [
        ("dag", str(spec.get("dagName", ""))),
        ("run id", str(status.get("runId") or "")),
        ("type", str(spec.get("runType", "manual"))),
        ("state", state_text(status.get("state"), run=True)),
        ("logical date", str(status.get("logicalDate") or spec.get("logicalDate") or "")),
        ("data interval", interval),
        ("queued", str(status.get("queuedAt") or "")),
        ("started", str(status.get("startDate") or "")),
        ("ended", str(status.get("endDate") or "")),
        ("duration", str(status.get("duration") or "")),
        ("progress", str(status.get("progress") or "")),
        ("conf", str(spec.get("conf") or "")),
        ("message", str(status.get("message") or "")),
    ]
    for condition in status.get("conditions") or []:
        text = f"{condition.get('status')} {condition.get('reason', '')}".strip()
        if condition.get("message"):
            text += f": {condition['message']}"
        facts.append((f"{condition.get('type')}", text))
    for key, value in facts:
        if value:
            details.add_row(key, value)
    return details


def runs_get(
    run: RunName,
    wide: Annotated[bool, typer.Option("--wide", help="Full messages.")] = False,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: Output = "table",
) -> None:
    """Show a run and its task instances as a tree in DAG order."""
    check_format(output)
    cluster = connect(namespace, context, kubeconfig)
    stored = cluster.get("dagruns", run, with_spec=False)
    if print_objects([stored], output, single=True):
        return
    (obj,) = cluster.whole_runs([stored])
    out = console()
    out.print(Text(f"dagrun {run}", style="bold"))
    out.print(run_details(obj))
    out.print()
    out.print(run_tree(DagRun.model_validate(obj), wide=wide))


def runs_wait(
    run: RunName,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", metavar="SECONDS", help="Give up after this long (exit 6)."),
    ] = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Follow a run until it finishes: exit 0 if it succeeded, 1 if it failed."""
    cluster = connect(namespace, context, kubeconfig)
    raise_if_failed(follow(cluster, run, timeout))
