"""`kairflow tasks ...`: Clear, mark, approve, read the logs and XComs of task instances."""

from __future__ import annotations

import typer

tasks_app = typer.Typer(
    name="tasks",
    help="Clear, mark, approve, read the logs and XComs of task instances.",
    no_args_is_help=True,
    add_completion=False,
)
# Each command lives in its own module and registers itself here.
from kairflow.cli.tasks_clear import tasks_clear  # noqa: E402

tasks_app.command("clear")(tasks_clear)
from kairflow.cli.tasks_mark import tasks_mark  # noqa: E402

tasks_app.command("mark")(tasks_mark)
from kairflow.cli.tasks_logs import tasks_logs  # noqa: E402

tasks_app.command("logs")(tasks_logs)
from kairflow.cli.tasks_xcom import tasks_xcom  # noqa: E402

tasks_app.command("xcom")(tasks_xcom)
from kairflow.cli.tasks_approve import tasks_approve, tasks_reject  # noqa: E402

tasks_app.command("approve")(tasks_approve)
tasks_app.command("reject")(tasks_reject)
