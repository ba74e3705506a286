"""`kairflow backfill create DAG --from DATE --to DATE`: Airflow's `airflow backfill
create` (3) / `airflow dags backfill` (2), as a Backfill resource the operator runs.

The CLI plans the backfill with the operator's own core function, from the DAG and
the runs in the cluster now (`kairflow.requests.backfill`, shared with the web UI):
`--dry-run` prints that plan and writes nothing, and `create` refuses what the
operator would refuse (exit 2) before writing.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Annotated, Any

import typer
import yaml

from kairflow.api.types import parse_duration
from kairflow.cli.errors import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_TIMEOUT, UserError
from kairflow.cli.kube import Cluster
from kairflow.cli.options import Context, Kubeconfig, Namespace, Output, connect
from kairflow.cli.output import check_format, console, print_objects, table
from kairflow.cli.run_conf import parse_conf
from kairflow.core.observations import ObservedDag
from kairflow.requests.backfill import (
    BackfillRequest,
    PlannedDate,
    nothing_to_make,
    plan_for,
    plan_words,
    runs_to_make,
)


def plan_in_cluster(
    cluster: Cluster, request: BackfillRequest
) -> tuple[ObservedDag, list[PlannedDate]]:
    """The plan the operator would make now, from the DAG (not found: exit 3) and its
    runs as the cluster has them; what the operator would refuse exits 2."""
    return plan_for(cluster.get("dags", request.dag), cluster.list("dagruns", whole=False), request)


def _exists(cluster: Cluster, name: str) -> bool:
    try:
        cluster.get("backfills", name)
    except UserError as exc:
        if exc.exit_code == EXIT_NOT_FOUND:
            return False
        raise
    return True


def _shown(moment: datetime, dag: ObservedDag) -> str:
    return moment.astimezone(dag.zone).isoformat(sep=" ")


def _print_plan(
    name: str, dag: ObservedDag, request: BackfillRequest, plan: list[PlannedDate]
) -> None:
    out = console()
    out.print(plan_words(name, dag, request, plan))
    rows = table("logical date", "data interval end", "action", "reason")
    for date in plan:
        rows.add_row(
            _shown(date.logical_date, dag),
            _shown(date.data_interval.end, dag),
            date.action,
            date.reason,
        )
    out.print(rows)


def _print_dry_run(
    name: str, dag: ObservedDag, request: BackfillRequest, plan: list[PlannedDate], output: str
) -> None:
    if output == "name":
        typer.echo(f"backfill.kairflow.io/{name}")
    elif output in ("json", "yaml"):
        document = {"backfill": request.manifest(name), "plan": [p.to_json() for p in plan]}
        if output == "json":
            typer.echo(json.dumps(document, indent=2))
        else:
            typer.echo(yaml.safe_dump(document, sort_keys=False), nl=False)
    else:
        _print_plan(name, dag, request, plan)
        console().print("dry run: nothing was created")


def _finished(body: dict[str, Any]) -> bool:
    return (body.get("status") or {}).get("state") in ("completed", "failed")


def wait_for_backfill(cluster: Cluster, name: str, timeout: float) -> dict[str, Any]:
    """The Backfill once it has completed or failed (exit 6 after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        for body in cluster.watch_one("backfills", name, timeout=max(1, int(left))):
            if _finished(body):
                return body
            if time.monotonic() >= deadline:
                break
    raise UserError(f"backfill {name!r} still running after the --timeout", EXIT_TIMEOUT)


def _report(body: dict[str, Any]) -> None:
    """The outcome of a waited-for Backfill; exit 1 when it or any of its runs failed."""
    status = body.get("status") or {}
    name = body["metadata"]["name"]
    if status.get("state") == "failed":
        raise UserError(f"backfill {name!r} failed: {status.get('message') or ''}", EXIT_FAILED)
    succeeded, failed = status.get("succeeded") or 0, status.get("failed") or 0
    typer.echo(f"backfill {name} completed: {succeeded} runs succeeded, {failed} failed")
    if failed:
        raise typer.Exit(EXIT_FAILED)


def create(
    dag: Annotated[
        str, typer.Argument(metavar="DAG", help="The DAG (its metadata.name).", show_default=False)
    ],
    from_date: Annotated[
        str,
        typer.Option(
            "--from",
            "--from-date",
            "-s",
            metavar="DATE",
            help="First logical date, inclusive: YYYY-MM-DD or ISO-8601. Without an offset "
            "it is a wall time in the DAG's time zone.",
            show_default=False,
        ),
    ],
    to_date: Annotated[
        str,
        typer.Option(
            "--to",
            "--to-date",
            "-e",
            metavar="DATE",
            help="Last logical date, inclusive (same forms as --from).",
            show_default=False,
        ),
    ],
    reprocess: Annotated[
        str,
        typer.Option(
            "--reprocess",
            "--reprocess-behavior",
            metavar="WHICH",
            help="Dates that have a run already: none (skip them), failed (rerun failed "
            "runs) or completed (rerun failed and successful runs). Runs in flight are "
            "never touched.",
        ),
    ] = "none",
    max_active_runs: Annotated[
        str | None,
        typer.Option(
            "--max-active-runs",
            metavar="N",
            help="Backfill runs in flight at once (default: the DAG's maxActiveRuns).",
            show_default=False,
        ),
    ] = None,
    backwards: Annotated[
        bool,
        typer.Option(
            "--backwards",
            "--run-backwards",
            "-B",
            help="Newest date first (refused when a task depends on its past).",
        ),
    ] = False,
    conf: Annotated[
        str | None,
        typer.Option(
            "--conf",
            "--dag-run-conf",
            metavar="JSON|@FILE",
            help="conf of every run: a JSON object, or @file to read one.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The Backfill's name (default: DAG-FROM-TO, e.g. etl-20240101-20240131).",
            show_default=False,
        ),
    ] = None,
    dry_run_only: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print the logical dates and what would happen to each; create nothing.",
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Wait until every run has finished; exit 1 if any failed, 6 on --timeout.",
        ),
    ] = False,
    timeout: Annotated[
        str,
        typer.Option("--timeout", metavar="DURATION", help="How long --wait waits (e.g. 30m, 2h)."),
    ] = "1h",
    output: Output = "table",
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Run a DAG over past logical dates: create a Backfill for the operator.

    The logical dates are the schedule's from --from to --to, both
    inclusive, ignoring the DAG's startDate, endDate and catchup (as
    Airflow does). The operator makes the runs progressively, at most
    --max-active-runs at once. Deleting the Backfill stops it.

    A range with no logical date on the schedule is refused (exit 2: a
    wrong date or DAG; such a Backfill would do nothing). A range whose
    dates all have runs to keep creates nothing and exits 0.

    Exit codes: 2 invalid input, or a backfill the operator refuses
    (--from after --to, --backwards with dependsOnPast); 3 no such DAG;
    1 a run failed (--wait); 6 --wait timed out.
    """
    check_format(output)
    request = BackfillRequest.read(
        dag,
        from_date,
        to_date,
        reprocess=reprocess,
        max_active_runs=max_active_runs,
        run_backwards=backwards,
        conf=parse_conf(conf),
    )
    try:
        wait_seconds = parse_duration(timeout).total_seconds()
    except ValueError as exc:
        raise UserError(f"--timeout: {exc}") from None
    chosen = request.name(name)
    cluster = connect(namespace, context, kubeconfig)
    observed, plan = plan_in_cluster(cluster, request)
    if dry_run_only:
        _print_dry_run(chosen, observed, request, plan, output)
        return
    nothing = nothing_to_make(plan, request)
    if nothing:
        typer.echo(f"{nothing}; no Backfill created")
        return
    count = runs_to_make(plan)
    if _exists(cluster, chosen):
        raise UserError(
            f'backfill "{chosen}" already exists in namespace {cluster.namespace!r}; '
            "pass --name to create another one"
        )
    created = cluster.create("backfills", request.manifest(chosen))
    if not print_objects([created], output, single=True):
        typer.echo(
            f"backfill.kairflow.io/{chosen} created ({count} run{'s' if count != 1 else ''})"
        )
    if wait:
        _report(wait_for_backfill(cluster, chosen, wait_seconds))
