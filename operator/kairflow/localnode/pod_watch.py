"""Pods matching a field selector, kept current by list + watch (a small informer).

The agent runs two: pods bound to its node (`spec.nodeName=<node>`) and unbound
pods (`spec.nodeName=`), which is what kube-scheduler watches too. A watch resumes
from the last resourceVersion after a server timeout and re-lists after "410 Gone"
or an error; pods that vanished in between are reported as DELETED.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from kubernetes_asyncio import client

from kairflow.localnode.kapi import KubeError, call, core_api
from kairflow.localnode.scheduling import Pod, uid

log = logging.getLogger(__name__)

OnChange = Callable[[str, Pod], None]
"""(event type ADDED | MODIFIED | DELETED, pod) — called on the event loop."""


class PodInformer:
    def __init__(
        self,
        api: client.ApiClient,
        field_selector: str,
        on_change: OnChange,
        watch_seconds: int = 240,
        retry_seconds: float = 1.0,
    ) -> None:
        self.core = core_api(api)
        self.field_selector = field_selector
        self.on_change = on_change
        self.watch_seconds = watch_seconds
        self.retry_seconds = retry_seconds
        self.pods: dict[str, Pod] = {}
        self.synced = asyncio.Event()

    async def run(self) -> None:
        """Forever (until cancelled); retries back off from 1 s to 30 s."""
        delay = self.retry_seconds
        while True:
            try:
                version = await self._list()
                self.synced.set()
                delay = self.retry_seconds
                while True:
                    version = await self._watch(version)
            except asyncio.CancelledError:
                raise
            except KubeError as exc:
                if exc.status == 410:
                    continue  # the version expired: list again at once
                log.warning("watch of pods (%s) failed: %s", self.field_selector, exc)
            except Exception as exc:  # a dropped connection, a bad line: re-list
                log.warning("watch of pods (%s) broke: %r", self.field_selector, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _list(self) -> str:
        body = await call(
            self.core.list_pod_for_all_namespaces(
                field_selector=self.field_selector, _preload_content=False
            )
        )
        fresh = {uid(pod): pod for pod in body.get("items") or []}
        for pod_uid, pod in list(self.pods.items()):
            if pod_uid not in fresh:
                del self.pods[pod_uid]
                self.on_change("DELETED", pod)
        for pod_uid, pod in fresh.items():
            kind = "MODIFIED" if pod_uid in self.pods else "ADDED"
            self.pods[pod_uid] = pod
            self.on_change(kind, pod)
        return str((body.get("metadata") or {}).get("resourceVersion") or "")

    async def _watch(self, version: str) -> str:
        """Apply events until the server ends the watch; the last resourceVersion."""
        response = await self.core.list_pod_for_all_namespaces(
            field_selector=self.field_selector,
            resource_version=version,
            allow_watch_bookmarks=True,
            watch=True,
            timeout_seconds=self.watch_seconds,
            _preload_content=False,
            _request_timeout=(30, self.watch_seconds + 30),
        )
        try:
            if response.status != 200:
                body = await response.read()
                raise KubeError(response.status, body.decode(errors="replace")[:500])
            buffer = b""
            async for chunk in response.content.iter_any():
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        version = self._apply(json.loads(line)) or version
        finally:
            response.release()
        return version

    def _apply(self, event: dict[str, Any]) -> str | None:
        kind = event.get("type")
        obj: dict[str, Any] = event.get("object") or {}
        if kind == "ERROR":
            raise KubeError(int(obj.get("code") or 500), str(obj.get("message")))
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            return str(version) if version else None
        if kind == "DELETED":
            self.pods.pop(uid(obj), None)
        elif kind in ("ADDED", "MODIFIED"):
            self.pods[uid(obj)] = obj
        else:
            return None
        self.on_change(str(kind), obj)
        return str(version) if version else None
