"""What pages read: the session, namespaces, live streams, a DAG with its shape, a run,
a task instance's details and log, definitions as YAML and a run's diff to its DAG."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from kairflow.api.callbacks import CallbackStatus
from kairflow.api.dagrun import TaskInstanceStatus, XComRef
from kairflow.cli.task_logs import pod_of
from kairflow.core import labels
from kairflow.core.bash_xcom import as_written
from kairflow.core.naming import label_value
from kairflow.core.xcom import XComError
from kairflow.core.xcom_frame import stored_value
from kairflow.requests.sliced_runs import PLURAL as SLICES
from kairflow.ui.auth import AUTH_KEY, SESSION, Session, csrf_token
from kairflow.ui.definition import definition, spec_diff, without_managed_fields, yaml_text
from kairflow.ui.kube import ApiError, UserApi
from kairflow.ui.logs import log_target, serve_log
from kairflow.ui.run_specs import run_with_spec, task_instance
from kairflow.ui.stream import Subscription, serve
from kairflow.ui.structure import structure
from kairflow.ui.summaries import dag_summary
from kairflow.ui.tries import read_tries

DEFAULT_NAMESPACE: web.AppKey[str] = web.AppKey("default_namespace", str)
_NO_STORE = {"Cache-Control": "no-store"}


def session_of(request: web.Request) -> Session:
    return request[SESSION]


def api_of(request: web.Request) -> UserApi:
    return session_of(request).api


def json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=_NO_STORE)


async def get_session(request: web.Request) -> web.Response:
    auth = request.app[AUTH_KEY]
    return json(
        {
            "mode": auth.mode,
            "csrf": csrf_token(auth, session_of(request)),
            "namespace": request.app[DEFAULT_NAMESPACE],
        }
    )


async def namespaces(request: web.Request) -> web.Response:
    """Every namespace the user may list; one who may not gets the default one."""
    default = request.app[DEFAULT_NAMESPACE]
    try:
        names = await api_of(request).namespaces()
    except ApiError as exc:
        if exc.status != 403:
            raise
        return json({"namespaces": [default], "note": exc.message})
    return json({"namespaces": names})


async def stream(request: web.Request) -> web.StreamResponse:
    """`?dag=NAME`: the DAG page (the DAG, its runs with grid cells, its backfills);
    without: the DAG list (every DAG and every run, without cells)."""
    namespace = request.match_info["ns"]
    dag = request.query.get("dag")
    if dag:
        of_dag = f"{labels.DAG}={label_value(dag)}"
        subscriptions = [
            Subscription("dags", field_selector=f"metadata.name={dag}"),
            Subscription("dagruns", label_selector=of_dag),
            # A big run's task instances, sent as its cells (`stream_slices`).
            Subscription(SLICES, label_selector=of_dag),
            Subscription(
                "backfills", keep=lambda body: (body.get("spec") or {}).get("dagName") == dag
            ),
        ]
    else:
        subscriptions = [Subscription("dags"), Subscription("dagruns", instances=False)]
    return await serve(request, api_of(request), namespace, subscriptions)


async def get_dag(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    body = await api_of(request).get("dags", ns, name)
    # Validating and ordering thousands of tasks is CPU work: off the event loop.
    shape = await asyncio.to_thread(structure, body.get("spec"))
    return json({**dag_summary(body), "structure": shape})


async def get_yaml(request: web.Request) -> web.Response:
    """The object as YAML; `?definition=1`: only what its author wrote (no status)."""
    ns, kind, name = (request.match_info[k] for k in ("ns", "kind", "name"))
    if kind not in {"dags", "dagruns", "backfills"}:
        raise web.HTTPNotFound()
    body = await api_of(request).get(kind, ns, name)
    shown = (
        definition(body) if request.query.get("definition") == "1" else without_managed_fields(body)
    )
    return web.Response(text=yaml_text(shown), content_type="text/plain", headers=_NO_STORE)


async def get_run(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    body = await run_with_spec(api_of(request), ns, name)
    status = body.get("status") or {}
    snapshot = status.get("dagSpec")
    return json(
        {
            "name": name,
            "spec": body.get("spec") or {},
            "status": {k: v for k, v in status.items() if k != "dagSpec"},
            "structure": await asyncio.to_thread(structure, snapshot) if snapshot else None,
        }
    )


async def run_diff(request: web.Request) -> web.Response:
    """The DAG spec the run ran (its snapshot) against the DAG's current spec."""
    ns, name = request.match_info["ns"], request.match_info["name"]
    api = api_of(request)
    run = await run_with_spec(api, ns, name)
    ran = (run.get("status") or {}).get("dagSpec")
    dag_name = str((run.get("spec") or {}).get("dagName") or "")
    try:
        current = (await api.get("dags", ns, dag_name)).get("spec")
    except ApiError as exc:
        if exc.status != 404:
            raise
        current = None
    # Validating and dumping two specs of thousands of tasks is CPU work: off the loop.
    return json(await asyncio.to_thread(spec_diff, ran, current, name, dag_name))


async def run_tries(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    return json(await read_tries(api_of(request), ns, name))


async def get_instance(request: web.Request) -> web.Response:
    """A task instance's details, its pod's rendered command (when the pod exists) and
    its callbacks (state, pod, message)."""
    ns, run, key = (request.match_info[k] for k in ("ns", "name", "key"))
    api = api_of(request)
    body = await api.get("dagruns", ns, run)
    raw = await task_instance(api, body, key)
    if raw is None:
        return json({"error": f"run {run} has no task instance {key} yet"}, status=404)
    ti = TaskInstanceStatus.model_validate(raw)
    pods = [pod_of(run, key, ti, n) for n in range(1, ti.try_number + 1)]
    command: list[str] | None = None
    if pods:
        try:
            pod = await api.read_pod(ns, pods[-1])
            container = pod.spec.containers[0]
            command = as_written([*(container.command or []), *(container.args or [])])
        except Exception:
            command = None
    # Read through the model: the operator leaves defaults out of the status (a
    # queued callback has no `state`, a first try no `tryNumber`); the page needs them.
    callbacks = [
        CallbackStatus.model_validate(c).model_dump(by_alias=True, mode="json", exclude_none=True)
        for c in (body.get("status") or {}).get("callbacks") or []
        if c.get("task") == key
    ]
    found: dict[str, Any] = {
        "key": key,
        "instance": raw,
        "pods": pods,
        "command": command,
        "callbacks": callbacks,
    }
    if ti.xcom_ref is not None:
        found.update(await _stored_xcom(api, ns, ti.xcom_ref))
    return json(found)


async def _stored_xcom(api: UserApi, ns: str, ref: XComRef) -> dict[str, Any]:
    """A big XCom, read from its ConfigMap as the user (`xcom`, or why not: `xcomError`)."""
    try:
        stored = await api.read_config_map(ns, ref.config_map)
        value = await asyncio.to_thread(stored_value, stored.binary_data, ref.size, ref.sha256)
    except ApiError as exc:
        return {"xcomError": f"cannot read ConfigMap {ref.config_map}: {exc}"}
    except XComError as exc:
        return {"xcomError": f"ConfigMap {ref.config_map}: {exc}"}
    return {"xcom": value}


async def instance_log(request: web.Request) -> web.StreamResponse:
    """The log of one try (`?try=N`, default the latest), streamed as it is written
    (`?follow=1` while it runs)."""
    ns, run, key = (request.match_info[k] for k in ("ns", "name", "key"))
    api = api_of(request)
    body = await api.get("dagruns", ns, run)
    raw = await task_instance(api, body, key)
    target = log_target(run, key, raw, request.query.get("try"))
    return await serve_log(request, api, ns, target, follow=request.query.get("follow") == "1")


async def events(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    return json({"events": await api_of(request).events(ns, name)})


def add(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/session", get_session)
    r.add_get("/api/namespaces", namespaces)
    r.add_get("/api/ns/{ns}/stream", stream)
    r.add_get("/api/ns/{ns}/dags/{name}", get_dag)
    r.add_get("/api/ns/{ns}/yaml/{kind}/{name}", get_yaml)
    r.add_get("/api/ns/{ns}/dagruns/{name}", get_run)
    r.add_get("/api/ns/{ns}/dagruns/{name}/diff", run_diff)
    r.add_get("/api/ns/{ns}/dagruns/{name}/tries", run_tries)
    r.add_get("/api/ns/{ns}/dagruns/{name}/tis/{key}", get_instance)
    r.add_get("/api/ns/{ns}/dagruns/{name}/tis/{key}/log", instance_log)
    r.add_get("/api/ns/{ns}/events/{name}", events)
