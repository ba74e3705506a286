"""Clear and mark (Airflow's dialogs): a preview listing the task instances the
request acts on, then the request itself, one merge patch of the run's `spec.clear`
or `spec.mark`, as `kairflow tasks clear|mark` writes it.

The selection is the operator's own (`kairflow.requests.task_selection`), made from
the run as read now; the write answers with the selection it was made against. On a
5,000-task run, reading the status and walking the graph takes a while, so that is
done off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from kairflow.api.dagrun import ClearRequest, MarkRequest
from kairflow.requests.errors import RequestError
from kairflow.requests.interventions import merge_patch, parse_mark_state
from kairflow.requests.task_selection import (
    RunTasks,
    Selected,
    check_patterns,
    count_words,
    request_id,
    selected_by,
    task_of,
)
from kairflow.ui.bodies import flag, json_object, names, required_text
from kairflow.ui.kube import ApiError
from kairflow.ui.routes_read import api_of, json
from kairflow.ui.run_specs import run_with_spec

NAMES_SHOWN = 20
"""Task names an unmatched-pattern error lists (a big DAG has thousands)."""

TaskRequest = ClearRequest | MarkRequest


def clear_request(data: dict[str, Any], now: datetime) -> ClearRequest:
    """Airflow's clear options; no tasks means every task of the run."""
    return ClearRequest(
        id=request_id(now),
        tasks=names(data, "tasks"),
        downstream=flag(data, "downstream"),
        upstream=flag(data, "upstream"),
        only_failed=flag(data, "onlyFailed"),
    )


def mark_request(data: dict[str, Any], now: datetime) -> MarkRequest:
    tasks = names(data, "tasks")
    if not tasks:
        raise RequestError("tasks: name the tasks to mark (a pattern like * marks them all)")
    state = parse_mark_state(required_text(data, "state"))
    return MarkRequest(id=request_id(now), tasks=tasks, state=state)


@dataclass(frozen=True)
class Picked:
    """The task instances a request acts on in one run, or why there are none."""

    dag: str
    selected: Sequence[Selected]
    nothing: str | None


def pick(run: dict[str, Any], request: TaskRequest) -> Picked:
    """The operator's selection in `run` (CPU-bound on a big run: call in a thread)."""
    name, dag = run["metadata"]["name"], str((run.get("spec") or {}).get("dagName") or "")
    verb = "clear" if isinstance(request, ClearRequest) else "mark"
    target = RunTasks.of(run)
    if target.graph is None:
        return Picked(dag, [], f"run {name} has not started yet: no task instances to {verb}")
    check_patterns(request.tasks, target.graph.selectable, dag, NAMES_SHOWN)
    selected = selected_by([target], request)
    nothing = None if selected else f"nothing to {verb}: no task instance of run {name} matches"
    return Picked(dag, selected, nothing)


def _answer(run: str, request: TaskRequest, picked: Picked, written: bool) -> dict[str, Any]:
    return {
        "run": run,
        "dag": picked.dag,
        "taskInstances": [
            {"key": s.key, "task": task_of(s.key), "state": s.state, "tryNumber": s.try_number}
            for s in picked.selected
        ],
        "summary": count_words(picked.selected),
        "message": picked.nothing,
        "requestId": request.id if written else None,
    }


def _handler(
    build: Callable[[dict[str, Any], datetime], TaskRequest], *, write: bool
) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        asked = build(await json_object(request), datetime.now(UTC))
        api = api_of(request)
        run = await run_with_spec(api, ns, name)
        picked = await asyncio.to_thread(pick, run, asked)
        if write:
            if picked.nothing:
                raise ApiError(409, picked.nothing, "NothingToDo")
            await api.patch("dagruns", ns, name, merge_patch(asked))
        return json(_answer(name, asked, picked, write))

    return handle


def add(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/ns/{ns}/dagruns/{name}/clear/preview", _handler(clear_request, write=False))
    r.add_post("/api/ns/{ns}/dagruns/{name}/clear", _handler(clear_request, write=True))
    r.add_post("/api/ns/{ns}/dagruns/{name}/mark/preview", _handler(mark_request, write=False))
    r.add_post("/api/ns/{ns}/dagruns/{name}/mark", _handler(mark_request, write=True))
