"""`kairflow tasks clear RUN|DAG`: run task instances again (Airflow's Clear).

Like Airflow's clear dialog: the task instances that will be cleared are listed
first, then the user confirms; the request goes to each run's `spec.clear` and the
operator does the clearing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import ClearRequest
from kairflow.cli.errors import EXIT_NOT_FOUND, UserError
from kairflow.cli.kube import Cluster
from kairflow.cli.options import Context, Kubeconfig, Namespace, RequestOutput, Yes, connect
from kairflow.cli.output import check_format
from kairflow.cli.task_requests import nothing_to_do, send
from kairflow.cli.task_selection import parse_bound, runs_in_range
from kairflow.requests.task_selection import RunTasks, check_patterns, request_id, selected_by


def _get_or_none(cluster: Cluster, plural: str, name: str) -> dict[str, Any] | None:
    try:
        return cluster.get(plural, name)
    except UserError as exc:
        if exc.exit_code == EXIT_NOT_FOUND:
            return None
        raise


def dag_ids(dag: dict[str, Any]) -> list[str]:
    """The DAG's task ids (prefixed by their groups) and task group ids, as it is now."""
    try:
        spec = DAGSpec.model_validate(dag.get("spec") or {})
    except ValidationError:
        return [str(t.get("name")) for t in (dag.get("spec") or {}).get("tasks") or []]
    return [t.name for t in spec.tasks] + list(spec.group_ids)


def runs_to_clear(
    cluster: Cluster, target: str, start: datetime | None, end: datetime | None
) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(DAG name, runs, the DAG's current task names) that RUN|DAG names: the run of
    that name, else the DAG's runs in [start, end]."""
    run = _get_or_none(cluster, "dagruns", target)
    if run is not None:
        if start is not None or end is not None:
            raise UserError(f"{target!r} is a DAG run; --from/--to select runs of a DAG")
        return str(run["spec"]["dagName"]), [run], []
    dag = _get_or_none(cluster, "dags", target)
    if dag is None:
        raise UserError(
            f'no dagrun or dag named "{target}" in namespace {cluster.namespace!r}',
            EXIT_NOT_FOUND,
        )
    # Chosen as stored, then read whole: only the chosen big runs' slices are listed.
    chosen = runs_in_range(cluster.list("dagruns", whole=False), target, start, end)
    return target, cluster.whole_runs(chosen), dag_ids(dag)


def tasks_clear(
    target: Annotated[
        str, typer.Argument(metavar="RUN|DAG", help="A DAG run, or a DAG (then its runs).")
    ],
    task: Annotated[
        list[str] | None,
        typer.Option(
            "-t",
            "--task",
            metavar="PATTERN",
            help="Task name or shell-style pattern (repeatable; default: every task).",
            show_default=False,
        ),
    ] = None,
    downstream: Annotated[
        bool, typer.Option("-d", "--downstream", help="Also clear downstream tasks.")
    ] = False,
    upstream: Annotated[
        bool, typer.Option("-u", "--upstream", help="Also clear upstream tasks.")
    ] = False,
    only_failed: Annotated[
        bool,
        typer.Option("-f", "--only-failed", help="Only failed and upstream_failed instances."),
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="DAG: runs with a logical date at or after this (ISO-8601; UTC if no zone).",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="DATE",
            help="DAG: runs with a logical date at or before this.",
            show_default=False,
        ),
    ] = None,
    yes: Yes = False,
    output: RequestOutput = "table",
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Clear task instances so they run again (lists them and asks first).

    The request goes to each run's spec.clear; the operator does the clearing.
    """
    check_format(output, ("table", "json"))
    patterns = task or []
    since, until = parse_bound(start, "--from"), parse_bound(end, "--to")
    cluster = connect(namespace, context, kubeconfig)
    dag, runs, dag_tasks = runs_to_clear(cluster, target, since, until)
    targets = [RunTasks.of(run) for run in runs]
    names = list(
        dict.fromkeys(dag_tasks + [n for t in targets if t.graph for n in t.graph.selectable])
    )
    if names:
        check_patterns(patterns, names, dag)
    request = ClearRequest(
        id=request_id(datetime.now(UTC)),
        tasks=patterns,
        downstream=downstream,
        upstream=upstream,
        only_failed=only_failed,
    )
    selected = selected_by(targets, request)
    if not selected:
        runs_words = "1 run" if len(targets) == 1 else f"{len(targets)} runs"
        nothing_to_do(f"nothing to clear: no task instance matches in {runs_words}", output)
        return
    send(cluster, selected, request, verb="Clear", done="cleared", yes=yes, output=output)
