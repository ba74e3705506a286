"""The one place tests of the terminal views build DAG specs, runs and render them."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich.console import Console, RenderableType

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRun, DagRunSpec, DagRunStatus, TaskInstanceStatus

DAY = "2024-03-01"


def at(clock: str | None, day: str = DAY) -> str | None:
    """`08:00:05` → `2024-03-01T08:00:05Z`; full timestamps pass through as written."""
    if clock is None or "T" in clock:
        return clock
    return f"{day}T{clock}Z"


def ti(
    state: str = "success",
    start: str | None = None,
    end: str | None = None,
    *,
    queued: str | None = None,
    try_number: int = 1,
    max_tries: int | None = None,
    message: str | None = None,
    exit_code: int | None = None,
    duration: str | None = None,
) -> TaskInstanceStatus:
    """A task instance; an unknown state (from a newer operator) is kept as written."""
    fields: dict[str, Any] = {
        "state": state,
        "try_number": try_number,
        "max_tries": max_tries,
        "start_date": at(start),
        "end_date": at(end),
        "queued_at": at(queued),
        "message": message,
        "exit_code": exit_code,
        "duration": duration,
    }
    try:
        return TaskInstanceStatus.model_validate(fields)
    except ValueError:
        return TaskInstanceStatus.model_construct(**fields)


def spec(*tasks: str | dict[str, Any], flow: list[str] | None = None) -> dict[str, Any]:
    """A DAG spec as a run snapshots it (wire form): `"a"` is a bash task named a."""
    listed = [{"name": t, "bash": "true"} if isinstance(t, str) else t for t in tasks]
    return {"tasks": listed, "flow": flow or []}


def dag_spec(*tasks: str | dict[str, Any], flow: list[str] | None = None) -> DAGSpec:
    return DAGSpec.model_validate(spec(*tasks, flow=flow))


def run(
    instances: Mapping[str, TaskInstanceStatus] | None = None,
    *,
    snapshot: dict[str, Any] | None = None,
    state: str | None = "running",
    logical_date: str = f"{DAY}T00:00:00+00:00",
    start: str | None = None,
    end: str | None = None,
    pending: bool = False,
    name: str = "etl",
) -> DagRun:
    """A DagRun of DAG `name`; `pending` leaves the status empty, as before the
    operator's first sync."""
    result = DagRun(spec=DagRunSpec(dag_name=name))
    result.metadata.name = f"{name}-manual-{logical_date[:10]}"
    if pending:
        return result
    status = DagRunStatus(
        run_id=f"manual__{logical_date}",
        logical_date=logical_date,
        start_date=at(start),
        end_date=at(end),
        task_instances=dict(instances or {}),
        dag_spec=snapshot,
    )
    status.state = state  # not validated: an unknown run state is kept as written
    result.status = status
    return result


def render(renderable: RenderableType, width: int = 80) -> str:
    """What a user sees on a `width`-column terminal, without colors."""
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def render_styled(renderable: RenderableType, width: int = 80) -> str:
    """The same with ANSI colors, to check styles."""
    console = Console(record=True, width=width, color_system="truecolor", file=io.StringIO())
    console.print(renderable)
    return console.export_text(styles=True)


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]
