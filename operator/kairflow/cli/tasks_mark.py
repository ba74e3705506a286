"""`kairflow tasks mark RUN TASK... success|failed`: set task instances' state by hand
(Airflow's "Mark success / failed"); the run's state follows them again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from kairflow.api.common import TaskInstanceState
from kairflow.api.dagrun import MarkRequest
from kairflow.cli.errors import UserError
from kairflow.cli.options import Context, Kubeconfig, Namespace, RequestOutput, Yes, connect
from kairflow.cli.output import check_format
from kairflow.cli.task_requests import nothing_to_do, send
from kairflow.requests.interventions import parse_mark_state
from kairflow.requests.task_selection import RunTasks, check_patterns, request_id, selected_by


def split_tasks_and_state(words: list[str]) -> tuple[list[str], TaskInstanceState]:
    """`TASK... STATE` as typed: the last word is the state, success or failed."""
    if len(words) < 2:
        raise UserError("give the tasks, then the state: kairflow tasks mark RUN TASK... STATE")
    *tasks, state = words
    return tasks, parse_mark_state(state)


def tasks_mark(
    run: Annotated[str, typer.Argument(metavar="RUN", help="The DAG run.")],
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="TASK... STATE",
            help="Task names or shell-style patterns, then success or failed.",
            show_default=False,
        ),
    ],
    yes: Yes = False,
    output: RequestOutput = "table",
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Mark task instances success or failed (lists them and asks first).

    The request goes to the run's spec.mark; the run's state follows again.
    """
    check_format(output, ("table", "json"))
    patterns, state = split_tasks_and_state(words)
    cluster = connect(namespace, context, kubeconfig)
    found = cluster.get("dagruns", run)
    target = RunTasks.of(found)
    if target.graph is not None:
        check_patterns(patterns, target.graph.selectable, str(found["spec"]["dagName"]))
    request = MarkRequest(id=request_id(datetime.now(UTC)), tasks=patterns, state=state)
    selected = selected_by([target], request)
    if not selected:
        nothing_to_do(f"nothing to mark: run {run} has no task instance of those tasks yet", output)
        return
    send(
        cluster,
        selected,
        request,
        verb=f"Mark {state.value}",
        done=f"marked {state.value}",
        yes=yes,
        output=output,
    )
