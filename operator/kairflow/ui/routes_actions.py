"""What pages change: each action is the same Kubernetes write the CLI makes, made
with the user's credentials (RBAC's refusal is shown as the API server words it).

Here: pause, trigger and delete a run; clear and mark are in routes_interventions,
backfills in routes_backfills (`add` registers them all)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from kairflow.requests.trigger import ConfRefused, check_conf, logical_date, manual_run
from kairflow.ui import routes_approval, routes_backfills, routes_interventions
from kairflow.ui.bodies import flag, json_dict, json_object, text
from kairflow.ui.kube import ApiError
from kairflow.ui.routes_read import api_of, json


async def set_paused(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    paused = flag(await json_object(request), "paused")
    await api_of(request).patch("dags", ns, name, {"spec": {"paused": paused}})
    return json({"name": name, "paused": paused})


async def trigger(request: web.Request) -> web.Response:
    """Airflow's "Trigger DAG w/ config": a manual run now (or at `logicalDate`, a
    wall time in the DAG's zone unless it has an offset), with conf."""
    ns, name = request.match_info["ns"], request.match_info["name"]
    data = await json_object(request)
    conf = json_dict(data, "conf") or {}
    api = api_of(request)
    spec = (await api.get("dags", ns, name)).get("spec") or {}
    try:
        check_conf(spec, conf)
    except ConfRefused as exc:
        raise ApiError(422, str(exc), "Invalid") from None
    zone = str(spec.get("timezone") or "UTC")
    when = logical_date(text(data, "logicalDate"), zone, datetime.now(UTC), "logicalDate")
    created = await api.create("dagruns", ns, manual_run(name, when, conf, None))
    return json({"name": created["metadata"]["name"]}, status=201)


async def delete_run(request: web.Request) -> web.Response:
    """`kairflow runs delete RUN`: the run goes, and its pods (and their logs) with it."""
    ns, name = request.match_info["ns"], request.match_info["name"]
    api = api_of(request)
    run = await api.get("dagruns", ns, name)
    await api.delete("dagruns", ns, name)
    return json({"name": name, "dag": (run.get("spec") or {}).get("dagName")})


def add(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/ns/{ns}/dags/{name}/paused", set_paused)
    r.add_post("/api/ns/{ns}/dags/{name}/runs", trigger)
    r.add_delete("/api/ns/{ns}/dagruns/{name}", delete_run)
    routes_interventions.add(app)
    routes_approval.add(app)
    routes_backfills.add(app)
