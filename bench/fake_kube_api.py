"""A fake Kubernetes API server: just enough of it for `kairflow ui` to list and watch
DAGs, DagRuns and Backfills, read one object, pods and their logs, for the UI's
benchmarks and fast browser tests (no control plane to start).

Watches behave as the API server's: a list's resourceVersion, then every later change
as a line of JSON; a version older than the kept history gets 410 Gone. A control
route changes task instance states as the operator would and answers when the watch
event was written, so a benchmark can time it to the page.

    .venv/bin/python bench/fake_kube_api.py --grid bench=big:1000x25 --dags list=500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

PREFIX = "/apis/kairflow.io/v1alpha1/namespaces/{ns}/{plural}"
HISTORY = 10_000
LOG_TICK = 0.25
_FINISHED = {"success", "failed", "skipped", "upstream_failed", "removed"}


@dataclass
class Event:
    version: int
    namespace: str
    plural: str
    type: str
    body: dict[str, Any]
    line: bytes = b""
    written: asyncio.Event = field(default_factory=asyncio.Event)
    written_at: float = 0.0


@dataclass(eq=False)
class Watcher:
    namespace: str
    plural: str
    labels: dict[str, str]
    name: str | None
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)


@dataclass
class FakeApi:
    """The objects (namespace, plural) -> name -> body, versions and watchers."""

    objects: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    encoded: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    version: int = 1
    history: deque[Event] = field(default_factory=lambda: deque(maxlen=HISTORY))
    watchers: set[Watcher] = field(default_factory=set)
    gone_pods_before: int = 3  # the pods of all but each DAG's newest N runs were cleaned up

    def put(self, body: dict[str, Any], event_type: str = "ADDED") -> Event:
        meta = body["metadata"]
        plural = {"DAG": "dags", "DagRun": "dagruns", "Backfill": "backfills"}[body["kind"]]
        self.version += 1
        meta["resourceVersion"] = str(self.version)
        meta.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        meta.setdefault("uid", f"uid-{self.version}")
        self.objects.setdefault((meta["namespace"], plural), {})[meta["name"]] = body
        # Encoded once, as the API server's watch cache keeps objects: a list then costs
        # the fake nothing, and what is timed is the UI.
        encoded = json.dumps(body, separators=(",", ":")).encode()
        self.encoded[(meta["namespace"], plural, meta["name"])] = encoded
        event = Event(self.version, meta["namespace"], plural, event_type, body)
        event.line = b'{"type":"%s","object":%s}\n' % (event_type.encode(), encoded)
        self.history.append(event)
        for watcher in self.watchers:
            if _watches(watcher, event):
                watcher.queue.put_nowait(event)
        return event

    def set_states(self, namespace: str, run: str, states: dict[str, str]) -> Event:
        """Task instances change state (with times), as the operator writes them."""
        body = self.objects[(namespace, "dagruns")][run]
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        tis = body["status"]["taskInstances"]
        for key, state in states.items():
            ti = dict(tis.get(key) or {"maxTries": 1})
            ti["state"] = state
            if state in {"queued", "running"} and not ti.get("tryNumber"):
                ti |= {
                    "tryNumber": 1,
                    "pod": f"{run}-{key}-1".replace(".", "-")[:63],
                    "queuedAt": now,
                }
            if state == "running":
                ti.setdefault("startDate", now)
            if state in _FINISHED:
                ti.setdefault("startDate", now)
                ti["endDate"] = now
            tis[key] = ti
        return self.put(body, "MODIFIED")

    def pod(self, namespace: str, name: str) -> tuple[str, str, dict[str, Any]] | None:
        """(run, task instance key, its status) of the pod named `name`, if it exists."""
        runs = self.objects.get((namespace, "dagruns"), {})
        by_dag: dict[str, list[str]] = {}
        for run_name, body in runs.items():
            by_dag.setdefault(body["spec"]["dagName"], []).append(run_name)
        for run_name, body in runs.items():
            names = sorted(by_dag[body["spec"]["dagName"]])
            newest = names[len(names) - self.gone_pods_before :] if self.gone_pods_before else []
            for key, ti in body["status"].get("taskInstances", {}).items():
                if ti.get("pod") == name:
                    return (run_name, key, ti) if run_name in newest else None
        return None


def _selector(text: str | None) -> dict[str, str]:
    return dict(part.split("=", 1) for part in (text or "").split(",") if "=" in part)


def _watches(watcher: Watcher, event: Event) -> bool:
    return _matches(watcher, event.namespace, event.plural, event.body)


def _matches(watcher: Watcher, namespace: str, plural: str, body: dict[str, Any]) -> bool:
    meta = body["metadata"]
    return (
        watcher.namespace == namespace
        and watcher.plural == plural
        and (watcher.name is None or watcher.name == meta["name"])
        and all((meta.get("labels") or {}).get(k) == v for k, v in watcher.labels.items())
    )


def _field_name(text: str | None) -> str | None:
    return text.split("=", 1)[1] if text and text.startswith("metadata.name=") else None


API: web.AppKey[FakeApi] = web.AppKey("fake_api", FakeApi)


async def list_or_watch(request: web.Request) -> web.StreamResponse:
    fake = request.app[API]
    ns, plural = request.match_info["ns"], request.match_info["plural"]
    labels = _selector(request.query.get("labelSelector"))
    name = _field_name(request.query.get("fieldSelector"))
    if request.query.get("watch") in {"true", "1", "True"}:
        watcher = Watcher(ns, plural, labels, name)
        return await _watch(request, fake, watcher)
    probe = Watcher(ns, plural, labels, name)
    items = [
        fake.encoded[(ns, plural, key)]
        for key, body in fake.objects.get((ns, plural), {}).items()
        if _matches(probe, ns, plural, body)
    ]
    head = b'{"apiVersion":"kairflow.io/v1alpha1","kind":"List","metadata":{"resourceVersion":"%d"}'
    body = head % fake.version + b',"items":[' + b",".join(items) + b"]}"
    return web.Response(body=body, content_type="application/json")


async def _watch(request: web.Request, fake: FakeApi, watcher: Watcher) -> web.StreamResponse:
    since = int(request.query.get("resourceVersion") or fake.version)
    timeout = float(request.query.get("timeoutSeconds") or 300)
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    oldest = fake.history[0].version if fake.history else fake.version + 1
    if since < oldest - 1 and len(fake.history) == HISTORY:
        status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410}
        status |= {"reason": "Expired", "message": f"too old resource version: {since}"}
        gone = {"type": "ERROR", "object": status}
        await response.write(json.dumps(gone).encode() + b"\n")
        return response
    fake.watchers.add(watcher)
    deadline = time.monotonic() + timeout
    try:
        for event in list(fake.history):
            if event.version > since and _watches(watcher, event):
                await _send(response, event)
                since = event.version
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(watcher.queue.get(), left)
            except TimeoutError:
                break
            if event.version > since:
                await _send(response, event)
                since = event.version
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        fake.watchers.discard(watcher)
    return response


async def _send(response: web.StreamResponse, event: Event) -> None:
    await response.write(event.line)
    event.written_at = time.time()
    event.written.set()


async def get_object(request: web.Request) -> web.Response:
    fake = request.app[API]
    ns, plural, name = (request.match_info[k] for k in ("ns", "plural", "name"))
    body = fake.objects.get((ns, plural), {}).get(name)
    if body is None:
        return _status(404, f'{plural} "{name}" not found', "NotFound")
    return web.json_response(body)


def _status(code: int, message: str, reason: str) -> web.Response:
    body = {
        "kind": "Status",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return web.json_response(body, status=code)


async def namespaces(request: web.Request) -> web.Response:
    names = sorted({ns for ns, _ in request.app[API].objects})
    items = [{"metadata": {"name": n}} for n in names]
    return web.json_response({"apiVersion": "v1", "kind": "NamespaceList", "items": items})


async def version(_request: web.Request) -> web.Response:
    """What the UI's token sign-in reads to check a token (the fake accepts any)."""
    return web.json_response({"major": "1", "minor": "31", "gitVersion": "v1.31.0-fake"})


async def events(_request: web.Request) -> web.Response:
    return web.json_response({"apiVersion": "v1", "kind": "EventList", "items": []})


_PHASES = {"running": "Running", "queued": "Pending", "success": "Succeeded", "failed": "Failed"}


async def read_pod(request: web.Request) -> web.Response:
    ns, name = request.match_info["ns"], request.match_info["name"]
    found = request.app[API].pod(ns, name)
    if found is None:
        return _status(404, f'pods "{name}" not found', "NotFound")
    _run, key, ti = found
    container = {"name": "base", "image": "kairflow/runtime", "command": ["bash", "-c"]}
    container["args"] = [f"echo {key}"]
    phase = _PHASES.get(ti.get("state", ""), "Succeeded")
    return web.json_response(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [container]},
            "status": {"phase": phase},
        }
    )


async def pod_log(request: web.Request) -> web.StreamResponse:
    """A few lines per finished try; a running try writes a line every LOG_TICK
    seconds while it runs (followed with `follow=true`)."""
    fake = request.app[API]
    ns, name = request.match_info["ns"], request.match_info["name"]
    found = fake.pod(ns, name)
    if found is None:
        return _status(404, f'pods "{name}" not found', "NotFound")
    run, key, ti = found
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    await response.write(f"[{run}] {key} try {ti.get('tryNumber')}\n".encode())
    line = 0
    follow = request.query.get("follow", "").lower() in {"true", "1"}
    try:
        while follow and ti.get("state") == "running":
            line += 1
            await response.write(f"working... step {line}\n".encode())
            await asyncio.sleep(LOG_TICK)
            ti = fake.objects[(ns, "dagruns")][run]["status"]["taskInstances"][key]
        await response.write(f"done: {ti.get('state')}\n".encode())
    except ConnectionResetError:
        pass  # the reader went away, as `kubectl logs -f` does when stopped
    return response


async def control_states(request: web.Request) -> web.Response:
    """POST {"states": {key: state}}: answers with the time (epoch ms) the watch event
    went out to the first watcher (null when none watched within 5 s)."""
    fake = request.app[API]
    ns, run = request.match_info["ns"], request.match_info["name"]
    states = (await request.json())["states"]
    event = fake.set_states(ns, run, states)
    try:
        await asyncio.wait_for(event.written.wait(), 5)
    except TimeoutError:
        return web.json_response({"sentAt": None, "version": event.version})
    return web.json_response({"sentAt": event.written_at * 1000, "version": event.version})


def make_app(fake: FakeApi) -> web.Application:
    app = web.Application(client_max_size=64 * 1024**2)
    app[API] = fake
    r = app.router
    r.add_get(PREFIX, list_or_watch)
    r.add_get(PREFIX + "/{name}", get_object)
    r.add_get("/version/", version)  # kubernetes_asyncio asks with the slash
    r.add_get("/api/v1/namespaces", namespaces)
    r.add_get("/api/v1/namespaces/{ns}/events", events)
    r.add_get("/api/v1/namespaces/{ns}/pods/{name}", read_pod)
    r.add_get("/api/v1/namespaces/{ns}/pods/{name}/log", pod_log)
    r.add_post("/fake/ns/{ns}/dagruns/{name}/states", control_states)
    return app


async def start(fake: FakeApi, port: int = 0) -> tuple[web.AppRunner, int]:
    # Open watches end at once on shutdown, as the API server's do.
    runner = web.AppRunner(
        make_app(fake), access_log=None, handle_signals=False, shutdown_timeout=0.5
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server: Any = site._server
    return runner, int(server.sockets[0].getsockname()[1])


def _populate(fake: FakeApi, grids: list[str], lists: list[str]) -> None:
    from bench import synthetic  # noqa: PLC0415 (run as a script too)

    for spec in grids:  # NS=NAME:TASKSxRUNS
        ns, rest = spec.split("=", 1)
        name, size = rest.split(":", 1)
        tasks, runs = (int(n) for n in size.split("x"))
        body, run_bodies = synthetic.grid(ns, name, tasks, runs)
        for obj in [body, *run_bodies]:
            fake.put(obj)
    for spec in lists:  # NS=COUNT
        ns, count = spec.split("=", 1)
        dags, run_bodies = synthetic.dag_list(ns, int(count))
        for obj in [*dags, *run_bodies]:
            fake.put(obj)


async def _main(args: argparse.Namespace) -> None:
    fake = FakeApi()
    _populate(fake, args.grid, args.dags)
    runner, port = await start(fake, args.port)
    print(f"http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--grid", action="append", default=[], help="NS=NAME:TASKSxRUNS")
    parser.add_argument("--dags", action="append", default=[], help="NS=COUNT (the DAG list)")
    asyncio.run(_main(parser.parse_args()))
