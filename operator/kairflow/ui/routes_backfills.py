"""Backfills of a DAG: the dry run (the logical dates it would run and what happens to
each), create, list and stop, as `kairflow backfill create --dry-run|create|list|
delete` do. A Backfill has no pause: stopping one deletes it (its runs stay; they
belong to the DAG), which is what the operator reads as "start no more runs".

Planning walks the schedule over the range and reads every run of the DAG, so it runs
off the event loop and stops at PLAN_LIMIT dates (a minutely schedule over a decade
is millions: the page gets a one-line refusal instead of a stalled server).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from kairflow.core import labels
from kairflow.core.naming import label_value
from kairflow.core.observations import ObservedDag
from kairflow.requests.backfill import (
    BackfillRequest,
    Fields,
    PlannedDate,
    in_flight,
    made_by,
    nothing_to_make,
    plan_for,
    plan_words,
    runs_to_make,
    stopped_words,
)
from kairflow.ui.bodies import count, flag, json_dict, json_object, required_text, text
from kairflow.ui.kube import ApiError
from kairflow.ui.routes_read import api_of, json
from kairflow.ui.summaries import backfill_summary

PLAN_LIMIT = 10_000
"""Logical dates a dry run from the page may list."""
PLAN_SHOWN = 1_000
"""Dates sent to the page (the counts cover them all)."""
FIELDS = Fields("from", "to", "reprocess", "maxActiveRuns", "name")


def backfill_request(dag: str, data: dict[str, Any]) -> tuple[BackfillRequest, str]:
    """The request and the Backfill's name, from the dialog's fields."""
    asked = BackfillRequest.read(
        dag,
        required_text(data, FIELDS.start),
        required_text(data, FIELDS.end),
        reprocess=text(data, FIELDS.reprocess) or "none",
        max_active_runs=count(data, FIELDS.max_active_runs),
        run_backwards=flag(data, "runBackwards"),
        conf=json_dict(data, "conf"),
        fields=FIELDS,
    )
    return asked, asked.name(text(data, FIELDS.name), FIELDS.name)


async def _plan(
    request: web.Request,
) -> tuple[BackfillRequest, str, ObservedDag, list[PlannedDate]]:
    ns, dag = request.match_info["ns"], request.match_info["name"]
    asked, name = backfill_request(dag, await json_object(request))
    api = api_of(request)
    dag_body = await api.get("dags", ns, dag)
    runs = await api.list_objects("dagruns", ns, f"{labels.DAG}={label_value(dag)}")
    observed, plan = await asyncio.to_thread(
        plan_for, dag_body, runs.get("items") or [], asked, PLAN_LIMIT
    )
    return asked, name, observed, plan


async def preview(request: web.Request) -> web.Response:
    asked, name, observed, plan = await _plan(request)
    return json(
        {
            "name": name,
            "summary": plan_words(name, observed, asked, plan),
            "timezone": observed.zone.key,
            "runs": runs_to_make(plan),
            "total": len(plan),
            "dates": [date.to_json() for date in plan[:PLAN_SHOWN]],
            "nothing": nothing_to_make(plan, asked),
        }
    )


async def create(request: web.Request) -> web.Response:
    """The Backfill, after the same plan refuses what the operator would refuse."""
    ns = request.match_info["ns"]
    asked, name, _, plan = await _plan(request)
    nothing = nothing_to_make(plan, asked)
    if nothing:
        raise ApiError(409, f"{nothing}; no Backfill created", "NothingToDo")
    try:
        await api_of(request).create("backfills", ns, asked.manifest(name))
    except ApiError as exc:
        if exc.reason != "AlreadyExists":
            raise
        raise ApiError(
            409,
            f"backfill {name!r} already exists in namespace {ns!r}: give another name",
            exc.reason,
        ) from None
    return json({"name": name, "runs": runs_to_make(plan)}, status=201)


async def list_backfills(request: web.Request) -> web.Response:
    """The DAG's Backfills, newest first (the DAG page's stream sends them live too)."""
    ns, dag = request.match_info["ns"], request.match_info["name"]
    found = await api_of(request).list_objects("backfills", ns)
    mine = [
        backfill_summary(b)
        for b in found.get("items") or []
        if (b.get("spec") or {}).get("dagName") == dag
    ]
    mine.sort(key=lambda b: (b.get("created") or "", b["name"]), reverse=True)
    return json({"backfills": mine})


async def stop(request: web.Request) -> web.Response:
    """Delete the Backfill: no more of its runs start; those it made stay."""
    ns, name = request.match_info["ns"], request.match_info["name"]
    api = api_of(request)
    selected = await api.list_objects("dagruns", ns, f"{labels.BACKFILL}={label_value(name)}")
    made = made_by(name, selected.get("items") or [])
    await api.delete("backfills", ns, name)
    return json(
        {
            "name": name,
            "runs": len(made),
            "inFlight": in_flight(made),
            "message": f"backfill {name} stopped; {stopped_words(name, made)}",
        }
    )


def add(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/ns/{ns}/dags/{name}/backfills", list_backfills)
    r.add_post("/api/ns/{ns}/dags/{name}/backfills/preview", preview)
    r.add_post("/api/ns/{ns}/dags/{name}/backfills", create)
    r.add_delete("/api/ns/{ns}/backfills/{name}", stop)
