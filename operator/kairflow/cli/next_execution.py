"""`kairflow dags next-execution FILE|DAG`: the runs a DAG's schedule creates next,
like `airflow dags next-execution`.

Shows the first N automated runs: for a file, those a scheduler seeing the DAG for
the first time at `--now` would create; for a DAG in the cluster, those the operator
creates next after its last automated run. In order: the ones already due under the
catchup rules, then future ones. `-o json` prints, per run, exactly `logical_date`,
`data_interval_start`, `data_interval_end` and `run_after` (ISO-8601, UTC offset).
Invalid input: one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kairflow.api.types import parse_datetime
from kairflow.cli.dag_source import dag_source
from kairflow.cli.errors import UserError
from kairflow.cli.options import Context, Kubeconfig, NamespaceLong
from kairflow.core.assets import schedule_description
from kairflow.core.run_info import DagRunInfo
from kairflow.core.schedule_validation import ScheduleError, load_timezone
from kairflow.core.times import to_utc
from kairflow.core.timetable import restriction_for, timetable_for, upcoming_runs
from kairflow.requests.errors import whole_number

_FORMATS = ("table", "json")


def _moment(text: str | None, zone: str) -> datetime:
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return to_utc(parse_datetime(text), load_timezone(zone))
    except ValueError as exc:
        raise UserError(f"--now: {exc}") from None


def run_json(info: DagRunInfo) -> dict[str, str]:
    """One run in the public `-o json` shape."""
    return {
        "logical_date": info.logical_date.isoformat(),
        "data_interval_start": info.data_interval.start.isoformat(),
        "data_interval_end": info.data_interval.end.isoformat(),
        "run_after": info.run_after.isoformat(),
    }


def next_execution(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|DAG",
            help="A DAG manifest (YAML), a Python DAG file, or a DAG in the cluster.",
            show_default=False,
        ),
    ],
    num: Annotated[
        str, typer.Option("-n", "--num-executions", metavar="N", help="How many runs to show.")
    ] = "1",
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="ISO8601",
            help="Pretend it is this moment (a naive time is in the DAG's time zone). "
            "Default: the current time.",
        ),
    ] = None,
    output: Annotated[
        str, typer.Option("-o", "--output", metavar="FORMAT", help="table or json.")
    ] = "table",
    namespace: NamespaceLong = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Show the next automated runs of a DAG: the ones due now, then future ones."""
    count = whole_number("-n", num)
    if output not in _FORMATS:
        raise UserError(f"-o: unknown format {output!r}; use {' or '.join(_FORMATS)}")
    found = dag_source(source, namespace, context, kubeconfig)
    dag = found.dag
    try:
        timetable = timetable_for(dag.spec)
        restriction = restriction_for(dag.spec)
    except ScheduleError as exc:
        raise UserError(f"{found.where}: invalid schedule: {exc}") from None
    moment = _moment(now, dag.spec.timezone)
    runs = upcoming_runs(timetable, restriction, last=found.last, now=moment, count=count)
    if dag.spec.paused:
        print("note: the DAG is paused; it creates these runs once unpaused", file=sys.stderr)
    if output == "json":
        typer.echo(json.dumps([run_json(info) for info in runs], indent=2))
        return

    tz = load_timezone(dag.spec.timezone)
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 140)
    title = (
        f"{dag.metadata.name or source}: {schedule_description(dag.spec, timetable.description)}"
    )
    if not runs:
        timed = (
            "no runs on a timetable: it runs when its assets are updated"
            if dag.spec.assets
            else "no automated runs"
        )
        console.print(f"{title}\n{timed}", highlight=False)
        return

    def shown(moment: datetime) -> str:
        local = moment.astimezone(tz)
        return local.isoformat(sep=" ", timespec="seconds" if not local.microsecond else "auto")

    table = Table(title=title, caption=f"times in {tz.key}; now is {shown(moment)}")
    for column in ("#", "logical date", "data interval start", "data interval end", "run after"):
        table.add_column(column, no_wrap=True)
    table.add_column("")
    for index, info in enumerate(runs, start=1):
        table.add_row(
            str(index),
            shown(info.logical_date),
            shown(info.data_interval.start),
            shown(info.data_interval.end),
            shown(info.run_after),
            "due now" if info.run_after <= moment else "",
        )
    console.print(table)
