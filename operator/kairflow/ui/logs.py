"""A task instance's log for the page: which pod holds the asked try, a bounded wait
for a Pending pod before following it, and the log streamed as the pod writes it.

Following a pod's log works only once its container started, so `?follow=1` first
waits, as `kairflow tasks logs -f` does, but without blocking the server and for at
most START_WAIT seconds: then the page hears why the pod still waits (an image pull,
no node that fits). Once the response has started, a broken stream can no longer
change its status, so the log's last line says why it ended.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.cli.task_logs import LogOf, gone, pod_of
from kairflow.ui.kube import ApiError, UserApi

START_WAIT = 60.0
POLL = 1.0
_PENDING = "Pending"

Sleep = Callable[[float], Awaitable[Any]]


def log_target(run: str, key: str, raw: Mapping[str, Any] | None, asked: str | None) -> LogOf:
    """The try the page asked for (default: the latest) and its pod; an ApiError that
    says why there is none."""
    if raw is None:
        raise ApiError(404, f"run {run} has no task instance {key}")
    ti = TaskInstanceStatus.model_validate(raw)
    if ti.try_number == 0:
        why = f": {ti.message}" if ti.message else ""
        raise ApiError(404, f"task instance {key} has not run yet (state {ti.state.value}{why})")
    try:
        chosen = int(asked) if asked else ti.try_number
    except ValueError:
        raise ApiError(400, f"try must be a number, not {asked!r}") from None
    if not 1 <= chosen <= ti.try_number:
        had = "1 try" if ti.try_number == 1 else f"{ti.try_number} tries"
        raise ApiError(404, f"{key} has had {had}; there is no try {chosen}")
    return LogOf(key, chosen, pod_of(run, key, ti, chosen))


def waiting_reason(pod: Any) -> str:
    """Why a Pending pod has not started: its container's waiting reason, else the
    scheduler's word on it, else nothing."""
    status = pod.status
    for container in (status and status.container_statuses) or []:
        waiting = container.state and container.state.waiting
        if waiting and waiting.reason:
            return f"{waiting.reason}: {waiting.message}" if waiting.message else waiting.reason
    for condition in (status and status.conditions) or []:
        if condition.type == "PodScheduled" and condition.status == "False":
            return str(condition.message or condition.reason or "not scheduled yet")
    return ""


async def wait_started(
    read: Callable[[], Awaitable[Any]],
    *,
    timeout: float = START_WAIT,
    interval: float = POLL,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str | None:
    """None once the pod `read` returns has left Pending; else, after `timeout`
    seconds, why it still waits."""
    deadline = clock() + timeout
    while True:
        pod = await read()
        if ((pod.status and pod.status.phase) or _PENDING) != _PENDING:
            return None
        if clock() >= deadline:
            return waiting_reason(pod) or _PENDING
        await sleep(interval)


async def serve_log(
    request: web.Request, api: UserApi, namespace: str, target: LogOf, *, follow: bool
) -> web.StreamResponse:
    """The try's log as text/plain, streamed (and followed while the pod runs)."""
    started = f"{target.key} try {target.try_number}"
    try:
        if follow:
            why = await wait_started(
                lambda: api.read_pod(namespace, target.pod), timeout=START_WAIT, interval=POLL
            )
            if why is not None:
                raise ApiError(409, f"{started} has not started yet ({why}): try again later")
        chunks = api.pod_log(namespace, target.pod, follow=follow)
        first = await anext(chunks, b"")
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(404, gone(target)) from None
        if exc.status == 400:
            raise ApiError(409, f"{started} has not started yet: {exc.message}") from None
        raise
    response = web.StreamResponse(
        headers={"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    try:
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
    except ApiError as exc:
        await response.write(f"\n[{exc.message}]\n".encode())
    except ConnectionResetError:
        pass  # the page went away: another try or task was chosen
    finally:
        await chunks.aclose()
    return response
