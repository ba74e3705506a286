"""The operator's own watch of its task pods.

Pods are the operator's most numerous objects (one per try: 100,000 for a task mapped
over 100,000 items), and kopf keeps a memory of every object it has seen until the
object is deleted (about 1.3 KB each) and passes each event through its per-object
workers, which took half the event loop during a fan-out. So the operator lists and
watches its pods itself, the way a client-go informer does: a LIST (whose
resourceVersion the WATCH starts from), then a WATCH with bookmarks, each event handed
to `pod_event` as kopf's were. A stream that ends is resumed from the last version
seen; one the apiserver refuses as too old (410 Gone) or that breaks is replaced by a
new LIST, and the cache is put in line with it (pods gone meanwhile are forgotten).

Only where kopf peering decides which replica is active (`--standby`) do pods stay with
kopf: it pauses its watches on the standby replica, and this one would not.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, cast

import aiohttp
from kubernetes_asyncio.client import ApiClient, CoreV1Api

from kairflow.controller.cache import run_owner
from kairflow.controller.informers import pod_event
from kairflow.controller.runtime import Runtime
from kairflow.core import labels

log = logging.getLogger(__name__)
SELECTOR = labels.DAG_RUN  # pods of task instances (and callbacks): labelled with their run
WATCH_SECONDS = 300
"""How long the apiserver keeps one watch stream open before it ends it (resumed)."""
BACKOFF = (0.5, 1, 2, 5, 10)
PAGE = 500
Ignored = Callable[[Mapping[str, Any]], Awaitable[bool]]


class Gone(Exception):
    """The apiserver no longer has the version asked for: list again."""


class PodWatch:
    """The watch of one namespace's task pods (`namespace` None: every namespace)."""

    def __init__(
        self, rt: Runtime, api: ApiClient, namespace: str | None, ignored: Ignored
    ) -> None:
        self.rt, self.api, self.namespace, self.ignored = rt, api, namespace, ignored
        self.version: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def list(self) -> None:
        """LIST the pods into the cache (forgetting cached ones not listed), and note
        the version to watch from."""
        seen: set[tuple[tuple[str, str], str]] = set()
        token: str | None = None
        while True:
            listed = await self._listed(token)
            for pod in listed["items"] or []:
                if await self.ignored(pod):
                    continue
                run = run_owner(pod)
                if run is not None:
                    seen.add(((pod["metadata"]["namespace"], run), pod["metadata"]["name"]))
                    pod_event(self.rt, "ADDED", pod)
            token = listed["metadata"].get("continue")
            if not token:
                break
        for key, names in list(self.rt.cache.pods_by_run.items()):
            if self.namespace is not None and key[0] != self.namespace:
                continue
            for name in [n for n in names if (key, n) not in seen]:
                self.rt.cache.forget_pod(key, name)  # deleted while nobody watched
                self.rt.enqueue_run(key)
        self.version = listed["metadata"]["resourceVersion"]

    async def _listed(self, token: str | None) -> dict[str, Any]:
        """One page of the LIST (`token`: where the last page ended): a page at a time,
        as 100,000 pods in one answer would be hundreds of MiB at once."""
        kwargs: dict[str, Any] = {
            "label_selector": SELECTOR,
            "limit": PAGE,
            "_preload_content": False,
        }
        if token:
            kwargs["_continue"] = token
        response = await self._pods(kwargs)
        async with response:
            await _check(response)
            found: dict[str, Any] = json.loads(await response.read())
        if not isinstance(found.get("metadata"), dict) or "items" not in found:
            raise RuntimeError(f"not a pod list: {str(found)[:200]}")
        return found

    async def _pods(self, kwargs: dict[str, Any]) -> aiohttp.ClientResponse:
        """A LIST or WATCH of the task pods in this watch's namespace (or all)."""
        core = CoreV1Api(self.api)
        if self.namespace is None:
            call = core.list_pod_for_all_namespaces(**kwargs)
        else:
            call = core.list_namespaced_pod(self.namespace, **kwargs)
        return cast(aiohttp.ClientResponse, await call)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pods:{self.namespace or '*'}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                if self.version is None:
                    await self.list()
                async for kind, body in self._stream():
                    failures = 0
                    await self._handle(kind, body)
            except asyncio.CancelledError:
                raise
            except Gone:
                self.version = None  # history compacted: list again, no wait
            except Exception as exc:  # a broken stream, an apiserver restarting
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("pod watch (%s): %s; listing again in %ss", self.namespace, exc, delay)
                self.version = None
                await asyncio.sleep(delay)

    async def _handle(self, kind: str, body: dict[str, Any]) -> None:
        version = (body.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            self.version = version or self.version
            return
        if kind == "ERROR":
            if body.get("code") == 410:
                raise Gone(body.get("message"))
            raise RuntimeError(f"watch error: {body.get('message')}")
        if not await self.ignored(body):
            pod_event(self.rt, kind, body)
        self.version = version or self.version

    async def _stream(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The events of one WATCH from `version`, until the apiserver ends it."""
        kwargs: dict[str, Any] = {
            "label_selector": SELECTOR,
            "watch": True,
            "allow_watch_bookmarks": True,
            "resource_version": self.version,
            "timeout_seconds": WATCH_SECONDS,
            "_preload_content": False,
            "_request_timeout": aiohttp.ClientTimeout(
                sock_connect=30, sock_read=WATCH_SECONDS + 60
            ),
        }
        response = await self._pods(kwargs)
        async with response:
            await _check(response)
            pending = bytearray()
            async for chunk in response.content.iter_any():
                pending += chunk
                start = 0
                while (end := pending.find(b"\n", start)) >= 0:
                    line = bytes(pending[start:end])
                    start = end + 1
                    if line.strip():
                        event = json.loads(line)
                        yield str(event.get("type")), event.get("object") or {}
                del pending[:start]


async def _check(response: aiohttp.ClientResponse) -> None:
    """Raise for an answer that is not a list or a stream (content not preloaded is
    not checked by the client): Gone for 410, else an error, which lists again after
    a pause (429 and 503 when the apiserver is busy or restarting)."""
    if response.status == 410:
        raise Gone(await response.text())
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:200]}")


async def start_pod_watches(
    rt: Runtime, api: ApiClient, namespaces: tuple[str, ...], ignored: Ignored
) -> list[PodWatch]:
    """List the task pods (before any sync runs: a pass must see the pods that exist),
    then watch them: one watch per namespace given, or one over all of them."""
    watches = [PodWatch(rt, api, ns, ignored) for ns in (namespaces or (None,))]
    await asyncio.gather(*(watch.list() for watch in watches))
    for watch in watches:
        watch.start()
    return watches
