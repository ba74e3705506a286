"""Live pages: the objects a page shows, listed then watched, pushed as server-sent
events with the user's own credentials.

One stream per open page. Each resource kind is a list (sent whole, `reset`) then a
watch from that list's resourceVersion (each change sent as an `upsert` or `delete`);
an expired watch (410 Gone) lists again. Changes that arrive together are sent as one
message, and a run's grid cells are sent only when they changed since the last
message, so a running 5,000-task run costs a few cells per update, not the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kairflow.requests.sliced_runs import PLURAL as SLICES
from kairflow.ui.kube import ApiError, UserApi
from kairflow.ui.stream_slices import SlicedRuns
from kairflow.ui.summaries import summarize

HEARTBEAT_SECONDS = 15.0
BATCH_SECONDS = 0.05
_GONE = 410
_SERVER_ERRORS = 500
_pause = asyncio.sleep  # between retries (tests replace it: no real waits)
# Set when the server shuts down: every open stream ends at once, so a pod's SIGTERM (or
# Ctrl-C) is not held for aiohttp's shutdown timeout by pages that never disconnect.
CLOSING = web.AppKey("closing", asyncio.Event)


def add(app: web.Application) -> None:
    app[CLOSING] = asyncio.Event()

    async def close_streams(_app: web.Application) -> None:
        app[CLOSING].set()

    app.on_shutdown.append(close_streams)


@dataclass
class _Backoff:
    """1 s, 2 s, 4 s ... up to 10 s between tries while the API server is away."""

    delay: float = 1.0

    def next(self) -> float:
        current, self.delay = self.delay, min(self.delay * 2, 10.0)
        return current

    def reset(self) -> None:
        self.delay = 1.0


@dataclass(frozen=True)
class Subscription:
    """One kind a page watches, with the server-side selection."""

    kind: str
    label_selector: str | None = None
    field_selector: str | None = None
    keep: Callable[[Mapping[str, Any]], bool] | None = None
    instances: bool = True


@dataclass
class _Sent:
    """Per stream: the grid cells each run had in the last message (for deltas)."""

    cells: dict[str, dict[str, Any]] = field(default_factory=dict)

    def delta(self, item: dict[str, Any], reset: bool) -> dict[str, Any]:
        tis = item.get("tis")
        if tis is None:
            return item
        before = None if reset else self.cells.get(item["name"])
        self.cells[item["name"]] = tis
        if before is None:
            return {**item, "tisComplete": True}
        changed = {k: v for k, v in tis.items() if before.get(k) != v}
        removed = [k for k in before if k not in tis]
        return {**item, "tis": changed, "tisRemoved": removed, "tisComplete": False}


def _event(kind: str, event_type: str, **payload: Any) -> dict[str, Any]:
    return {"type": event_type, "kind": kind, **payload}


async def _follow(
    api: UserApi,
    namespace: str,
    sub: Subscription,
    sent: _Sent,
    out: asyncio.Queue[Any],
    runs: SlicedRuns | None = None,
) -> None:
    """List then watch one kind; with `runs`, big runs are sent whole (their slices
    are a subscription too, sent as changes of their runs: `stream_slices`)."""
    keep = sub.keep or (lambda _body: True)
    slices = runs if sub.kind == SLICES else None

    def summary(body: dict[str, Any], reset: bool) -> dict[str, Any]:
        if runs is not None and sub.kind == "dagruns":
            return runs.run_item(body, reset)
        return sent.delta(summarize(sub.kind, body, instances=sub.instances), reset)

    async def put_runs(items: list[dict[str, Any]]) -> None:
        for item in items:
            await out.put(_event("dagruns", "upsert", item=item))

    retry = _Backoff()
    while True:
        if runs is not None and slices is None:
            await runs.listed.wait()  # a first paint with big runs whole
        try:
            listed = await api.list_objects(
                sub.kind, namespace, sub.label_selector, sub.field_selector
            )
        except ApiError as exc:
            if slices is not None:
                await put_runs(slices.slices_refused(exc.message))
            await out.put(_event(sub.kind, "error", status=exc.status, message=exc.message))
            if exc.status < _SERVER_ERRORS:
                return
            await _pause(retry.next())
            continue
        retry.reset()
        bodies = [body for body in listed.get("items") or [] if keep(body)]
        if slices is not None:
            await put_runs(slices.slices_listed(bodies))
        else:
            items = [summary(body, reset=True) for body in bodies]
            await out.put(_event(sub.kind, "reset", items=items))
        version = str((listed.get("metadata") or {}).get("resourceVersion") or "")
        try:
            while True:
                async for event_type, body in api.watch(
                    sub.kind, namespace, version, sub.label_selector, sub.field_selector
                ):
                    version = str(body.get("metadata", {}).get("resourceVersion") or version)
                    name = body.get("metadata", {}).get("name")
                    if slices is not None:
                        item = slices.slice_changed(event_type, body)
                        await put_runs([] if item is None else [item])
                    elif event_type == "DELETED" or not keep(body):
                        sent.cells.pop(name, None)
                        if runs is not None:
                            runs.forget_run(body)
                        await out.put(_event(sub.kind, "delete", name=name))
                    elif event_type in {"ADDED", "MODIFIED"}:
                        await out.put(_event(sub.kind, "upsert", item=summary(body, reset=False)))
        except ApiError as exc:
            if exc.status == _GONE:
                continue  # the watch's resourceVersion expired: list again (a `reset`)
            await out.put(_event(sub.kind, "error", status=exc.status, message=exc.message))
            if exc.status < _SERVER_ERRORS:
                return  # refused (401, 403, 404): retrying cannot help
            # The API server is restarting or unreachable: list again after a pause.
            await _pause(retry.next())
            continue


_END = object()  # put on a stream's queue when the server shuts down


async def _end_on(closing: asyncio.Event, queue: asyncio.Queue[Any]) -> None:
    await closing.wait()
    await queue.put(_END)


async def serve(
    request: web.Request, api: UserApi, namespace: str, subscriptions: list[Subscription]
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    queue: asyncio.Queue[Any] = asyncio.Queue()
    sent = _Sent()
    runs = SlicedRuns(sent) if any(sub.kind == SLICES for sub in subscriptions) else None
    tasks = [
        asyncio.create_task(_follow(api, namespace, sub, sent, queue, runs))
        for sub in subscriptions
    ]
    tasks.append(asyncio.create_task(_end_on(request.app[CLOSING], queue)))
    try:
        while True:
            try:
                first = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(b": heartbeat\n\n")
                continue
            batch = [first]
            # Coalesce a burst (a run finishing many tasks at once) into one message; a
            # list (`reset`) is the page's first paint and goes out at once.
            if first is not _END and first["type"] != "reset":
                await asyncio.sleep(BATCH_SECONDS)
            while not queue.empty():
                batch.append(queue.get_nowait())
            events = [event for event in batch if event is not _END]
            if events:
                data = json.dumps(events, separators=(",", ":"))
                await response.write(f"data: {data}\n\n".encode())
            if len(events) < len(batch):
                break  # the server is shutting down
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return response
