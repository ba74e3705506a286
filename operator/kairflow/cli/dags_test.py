"""`kairflow dags test FILE`: run one DAG run locally, like `airflow dags test`.

The same planner as the operator decides everything; each task instance runs as a
local process (the image is ignored). Exit code 0 when the run succeeded, 1 when
it failed, 2 for invalid input.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.live import Live

from kairflow.api.asset import AssetEvent
from kairflow.api.common import ObjectMeta
from kairflow.api.dagrun import DagRun, DagRunSpec, DagRunStatus, RunType
from kairflow.api.types import parse_datetime
from kairflow.cli.dag_source import dag_source
from kairflow.cli.dags_test_answers import local_answers, note_other_dags, unanswered
from kairflow.cli.errors import EXIT_FAILED, UserError
from kairflow.cli.options import Context, Kubeconfig, Namespace
from kairflow.cli.run_conf import parse_conf
from kairflow.cli.views.tree import run_tree
from kairflow.core import labels
from kairflow.core.assets import outlet_events
from kairflow.core.naming import dagrun_name
from kairflow.core.observations import ObservedDag, RequestedDates
from kairflow.core.pools import local_pools
from kairflow.core.run_model import Capacity, RecordEvent, RunContext
from kairflow.core.run_start import RunRefused, start_run
from kairflow.core.validation import validate_dag
from kairflow.localnode.local_run import LocalPod, LocalRun


def _parse_when(text: str | None) -> datetime | None:
    """--logical-date as written: a naive one is a wall time in the DAG's zone,
    resolved by the core exactly as the operator resolves a manual run's."""
    if text is None:
        return None
    try:
        return parse_datetime(text)
    except ValueError as exc:
        raise UserError(f"--logical-date: {exc}") from None


def _summary(status: DagRunStatus, run: RunContext) -> RenderableType:
    """The run as `kairflow runs get` shows one: task instances as a tree in DAG order."""
    snapshot = status.model_copy(update={"dag_spec": run.spec.to_wire()})
    return run_tree(
        DagRun(
            metadata=ObjectMeta(name=run.name),
            spec=DagRunSpec(dag_name=run.dag_name, run_type=RunType(run.run_type)),
            status=snapshot,
        )
    )


def json_result(status: DagRunStatus) -> dict[str, Any]:
    """The public `-o json` contract: state and per task instance state and try number;
    `callbacks` too when the run fired any."""
    result = {
        "state": status.state.value if status.state else None,
        "tasks": {
            key: {"state": ti.state.value, "try_number": ti.try_number}
            for key, ti in status.task_instances.items()
        },
        "callbacks": [
            {
                "task": cb.task,
                "kind": cb.kind.value,
                "try_number": cb.try_number,
                "name": cb.name,
                "state": cb.state.value,
                "message": cb.message,
            }
            for cb in status.callbacks
        ],
    }
    if not status.callbacks:
        del result["callbacks"]
    return result


def _title(pod: LocalPod) -> str:
    """A task's pod by its task instance; a callback's by what it is for."""
    annotations = pod.manifest["metadata"].get("annotations") or {}
    kind = annotations.get(labels.CALLBACK)
    if kind is None:
        return pod.key
    return f"{annotations.get(labels.CALLBACK_FOR) or 'DAG'} {kind} callback"


def _report(
    console: Console | None,
    status: DagRunStatus,
    run: RunContext,
    emitted: list[tuple[str, AssetEvent]],
) -> None:
    """The run's end, with the asset events its outlets would record (the operator
    records them; `dags test` writes nothing to a cluster). `console`: text output."""
    if console is not None:
        console.print(_summary(status, run))
        for uri, event in emitted:
            where = event.source_task_id
            if event.source_map_index not in (None, -1):
                where = f"{where}[{event.source_map_index}]"
            console.print(f"would emit an asset event on {uri} ({where})")
        console.print(f"[bold]run {status.state}[/]: {status.message or ''}")
        waiting = unanswered(status)
        if waiting:
            console.print(
                f"[yellow]{', '.join(waiting)} waits for an answer[/]: "
                "pass --approve or --reject (or run it in a terminal to be asked)"
            )
        return
    result = json_result(status)
    if emitted:
        result["asset_events"] = [
            {"uri": uri, "task": e.source_task_id, "map_index": e.source_map_index}
            for uri, e in emitted
        ]
    sys.stdout.write(json.dumps(result) + "\n")


def dags_test(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|DAG",
            help="DAG manifest (YAML), Python DAG file (kairflow.sdk), or a DAG in the cluster.",
        ),
    ],
    logical_date: Annotated[
        str | None, typer.Option("--logical-date", help="ISO-8601; default: now.")
    ] = None,
    conf: Annotated[
        str | None, typer.Option("--conf", metavar="JSON|@FILE", help="Run conf (a JSON object).")
    ] = None,
    output: Annotated[str, typer.Option("-o", "--output", help="text or json.")] = "text",
    no_retry_delay: Annotated[
        bool,
        typer.Option("--no-retry-delay", help="Skip idle waits (retry delays, poke intervals)."),
    ] = False,
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve every approval task.")
    ] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject every approval task.")] = False,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Run one DAG run locally, each task as a local process (like `airflow dags test`)."""
    if output not in ("text", "json"):
        raise UserError(f"-o must be text or json, not {output!r}")
    found = dag_source(source, namespace, context, kubeconfig)
    dag = found.dag
    name = dag.metadata.name or Path(source).stem
    observed = ObservedDag("local", name, dag.spec, tuple(validate_dag(dag.spec)))
    if observed.problems:
        raise UserError(f"{found.where}: invalid DAG: " + "; ".join(observed.problems))
    requested = RequestedDates(logical_date=_parse_when(logical_date))
    run_conf = parse_conf(conf) or {}
    started = start_run(
        observed,
        name,
        "local",
        RunType.MANUAL,
        requested,
        run_conf,
        created_at=None,
        now=datetime.now(UTC).replace(microsecond=0),
    )
    if isinstance(started, RunRefused):
        raise UserError(f"{found.where}: {started.message}")
    interval = started.data_interval
    run = RunContext(
        namespace="local",
        dag_name=name,
        uid=None,
        name=dagrun_name(name, RunType.MANUAL.value, started.logical_date),
        run_type=RunType.MANUAL.value,
        run_id=started.run_id,
        logical_date=started.logical_date,
        data_interval_start=interval.start,
        data_interval_end=interval.end,
        spec=dag.spec,
        conf=run_conf,
        # Airflow's `dags test` run is not externally triggered: latestOnly checks it.
        external_trigger=False,
    )
    text = output == "text"
    console = Console(stderr=True, highlight=False)
    if text:
        console.print(
            f"[bold]dags test[/] {run.dag_name}: run {run.run_id}, data interval "
            f"{interval.start.isoformat()} → {interval.end.isoformat()}"
        )
        console.print("[dim]note: images are ignored; each task runs as a local process[/]")
        note_other_dags(dag.spec, console)
    answers = local_answers(dag.spec, approve, reject, console if text else None)

    def pod_done(pod: LocalPod) -> None:
        if not text:
            return
        console.rule(f"{_title(pod)} · {pod.name}")
        if pod.error:
            console.print(f"[red]{pod.error}[/]")
        elif pod.process is not None and pod.process.log_path.exists():
            console.print(pod.process.log_path.read_text(errors="replace").rstrip(), markup=False)

    def event(item: RecordEvent) -> None:
        if text and item.type == "Warning":
            console.print(f"[yellow]{item.reason}[/]: {item.message}")

    workdir = Path(tempfile.mkdtemp(prefix="kairflow-dags-test-"))
    local = LocalRun(
        run,
        workdir,
        skip_waits=no_retry_delay,
        # Pools in the DAG's file are honoured; a pool it names without one is unlimited.
        capacity=Capacity(pools=local_pools(dag.spec, found.pools)) if found.pools else Capacity(),
        on_event=event,
        on_pod_done=pod_done,
        surroundings=answers,
    )
    try:
        if text and console.is_terminal and not answers.will_ask:
            with Live(_summary(DagRunStatus(), run), console=console, transient=True) as live:
                local.on_status = lambda status: live.update(_summary(status, run))
                status = local.execute()
        else:
            status = local.execute()
    finally:
        local.cleanup()
    _report(
        console if text else None,
        status,
        run,
        outlet_events(name, run.run_id, dag.spec, DagRunStatus(), status, local.now()),
    )
    if status.state is None or status.state.value != "success":
        raise typer.Exit(EXIT_FAILED)
