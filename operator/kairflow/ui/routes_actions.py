"""What pages change: each action is the same Kubernetes write the CLI makes, made
with the user's credentials (RBAC's refusal is shown as the API server words it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from kairflow.core.params import conf_problems
from kairflow.requests.trigger import manual_run
from kairflow.ui.kube import ApiError
from kairflow.ui.routes_read import api_of, json


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "the request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


async def set_paused(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    paused = bool((await _body(request)).get("paused"))
    await api_of(request).patch("dags", ns, name, {"spec": {"paused": paused}})
    return json({"name": name, "paused": paused})


async def trigger(request: web.Request) -> web.Response:
    """Airflow's "Trigger DAG w/ config": a manual run now, with conf."""
    ns, name = request.match_info["ns"], request.match_info["name"]
    data = await _body(request)
    conf = data.get("conf") or {}
    if not isinstance(conf, dict):
        raise ApiError(400, "conf must be a JSON object")
    api = api_of(request)
    dag = await api.get("dags", ns, name)
    problems = conf_problems((dag.get("spec") or {}).get("params") or {}, conf)
    if problems:
        raise ApiError(422, "; ".join(problems), "Invalid")
    created = await api.create("dagruns", ns, manual_run(name, datetime.now(UTC), conf, None))
    return json({"name": created["metadata"]["name"]}, status=201)


def add(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/ns/{ns}/dags/{name}/paused", set_paused)
    r.add_post("/api/ns/{ns}/dags/{name}/runs", trigger)
