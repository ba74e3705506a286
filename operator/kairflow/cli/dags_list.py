"""`kairflow dags list` and `kairflow dags show DAG`: the DAGs in the cluster, as
Airflow's DAGs page shows them (schedule, paused, last run, next run, active runs)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from kairflow.api import DAG
from kairflow.cli.errors import UserError
from kairflow.cli.options import (
    AllNamespaces,
    Context,
    DagName,
    Kubeconfig,
    ListOutput,
    Namespace,
    Output,
    connect,
)
from kairflow.cli.output import (
    LIST_FORMATS,
    check_format,
    console,
    keep_first_column,
    print_objects,
    short_time,
    table,
)
from kairflow.cli.views.states import state_text
from kairflow.cli.views.tree import dag_flow_tree
from kairflow.core.params import param_defaults

_CONDITION_OK = "True"


def ready_problem(dag: dict[str, Any]) -> str:
    """The Ready condition's message when it is not True ('' for a ready DAG)."""
    for condition in (dag.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") != _CONDITION_OK:
            return str(condition.get("message") or condition.get("reason") or "not ready")
    return ""


def schedule_cell(spec: dict[str, Any]) -> str:
    """The schedule as Airflow's DAG list shows it: the cron, "Asset" for a DAG on
    assets, or both (an asset-or-time schedule)."""
    schedule = spec.get("schedule")
    if spec.get("assets"):
        return f"{schedule} or assets" if schedule else "assets"
    return str(schedule or "None")


def waits_on(status: dict[str, Any]) -> str:
    """A DAG on assets: which assets have events queued and which it waits on."""
    queued = status.get("queuedAssetEvents") or {}
    parts = [f"{uri} ({n} queued)" if n else f"{uri} (waiting)" for uri, n in queued.items()]
    return ", ".join(parts)


def dag_row(dag: dict[str, Any], wide: bool = False) -> list[str | Text]:
    spec, status = dag.get("spec") or {}, dag.get("status") or {}
    last = status.get("lastRun") or {}
    next_run = status.get("nextRun") or {}
    problem = ready_problem(dag)
    last_run: str | Text = ""
    if last:
        last_run = Text.assemble(
            state_text(last.get("state"), run=True, symbol_only=True),
            f" {short_time(last.get('logicalDate'))}",
        )
    row: list[str | Text] = [
        dag["metadata"]["name"],
        schedule_cell(spec),
        "yes" if spec.get("paused") else "no",
        last_run,
        "" if spec.get("paused") else short_time(next_run.get("logicalDate")),
        str(status.get("activeRuns") or 0),
        Text(f"no: {problem}", style="red") if problem else Text("yes"),
    ]
    if wide:
        row[1:2] = [row[1], str(status.get("scheduleDescription") or "")]
        row.append(", ".join(spec.get("tags") or []))
    return row


def dags_list(
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: ListOutput = "table",
) -> None:
    """List DAGs: schedule, paused, last run and its state, next run, active runs, and
    whether the DAG is valid (the problem when it is not). `-o wide`: the schedule in
    words and the tags too."""
    check_format(output, LIST_FORMATS)
    cluster = connect(namespace, context, kubeconfig, all_namespaces)
    dags = sorted(
        cluster.list("dags"),
        key=lambda d: (d["metadata"].get("namespace", ""), d["metadata"]["name"]),
    )
    if print_objects(dags, output):
        return
    out = console()
    if not dags:
        where = "any namespace" if all_namespaces else f"namespace {cluster.namespace!r}"
        out.print(f"No DAGs in {where}.")
        return
    wide = output == "wide"
    columns = ["dag", "schedule", "paused", "last run", "next run", "active", "ready"]
    if wide:
        columns[1:2] = ["schedule", "in words"]
        columns.append("tags")
    rows = table(*(["namespace", *columns] if all_namespaces else columns))
    for dag in dags:
        row = dag_row(dag, wide)
        rows.add_row(*([dag["metadata"].get("namespace", ""), *row] if all_namespaces else row))
    if not all_namespaces:
        keep_first_column(rows, [d["metadata"]["name"] for d in dags])
    out.print(rows)


def _settings(spec: dict[str, Any], status: dict[str, Any]) -> Table:
    settings = Table.grid(padding=(0, 2))
    settings.add_column(style="bold")
    settings.add_column()
    described = status.get("scheduleDescription")
    schedule = str(
        spec.get("schedule") or ("None" if spec.get("assets") else "None (manual runs only)")
    )
    rows: list[tuple[str, str]] = [
        ("schedule", f"{schedule}" + (f"  ({described})" if described else "")),
        ("assets", waits_on(status)),
        ("timezone", str(spec.get("timezone") or "UTC")),
        ("start date", str(spec.get("startDate") or "")),
        ("end date", str(spec.get("endDate") or "")),
        ("catchup", _catchup(spec.get("catchup"))),
        ("paused", str(spec.get("paused", False)).lower()),
        ("max active runs", str(spec.get("maxActiveRuns", 16))),
        ("max active tasks", str(spec.get("maxActiveTasks", 16))),
        ("tags", ", ".join(spec.get("tags") or [])),
        ("defaults", ", ".join(f"{k}={v}" for k, v in (spec.get("defaults") or {}).items())),
        (
            "params",
            ", ".join(f"{k}={v!r}" for k, v in param_defaults(spec.get("params") or {}).items()),
        ),
    ]
    last, upcoming = status.get("lastRun") or {}, status.get("nextRun") or {}
    if last:
        rows.append(("last run", f"{last.get('name', '')}  {last.get('state', '')}"))
    if upcoming and not spec.get("paused"):
        rows.append(("next run", f"{upcoming.get('logicalDate', '')}"))
    rows.append(("active runs", str(status.get("activeRuns") or 0)))
    for key, value in rows:
        if value:
            settings.add_row(key, value)
    return settings


def _conditions(status: dict[str, Any]) -> Table:
    conditions = table("condition", "status", "reason", "message")
    for condition in status.get("conditions") or []:
        conditions.add_row(
            str(condition.get("type", "")),
            str(condition.get("status", "")),
            str(condition.get("reason", "")),
            Text(str(condition.get("message", "")), overflow="fold"),
        )
    return conditions


def dags_show(
    dag: DagName,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: Output = "table",
) -> None:
    """Show one DAG: its settings, its tasks as a tree of the flow, its conditions."""
    check_format(output)
    cluster = connect(namespace, context, kubeconfig)
    obj = cluster.get("dags", dag)
    if print_objects([obj], output, single=True):
        return
    try:
        model = DAG.model_validate(obj)
    except ValueError as exc:
        raise UserError(f'dag "{dag}" cannot be read: {exc}') from None
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = console()
    out.print(Text(f"dag {dag}", style="bold"))
    out.print(_settings(spec, status))
    out.print()
    out.print(Group(Text("tasks", style="bold"), dag_flow_tree(model.spec)))
    out.print()
    out.print(_conditions(status))


def _catchup(value: Any) -> str:
    if value is None:
        return "the operator's default (catchup_by_default, true unless set)"
    return str(value).lower()
