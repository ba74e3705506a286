"""Kubernetes Events about pods, as kube-scheduler and a kubelet post them, so that
`kubectl describe pod` tells what happened (Scheduled, ImageIgnored, Started,
Killing, Failed...). Best effort, posted in the background: an Event that cannot
be written is logged and forgotten."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio import client

from kairflow.core.times import kube_time
from kairflow.localnode.kapi import call, core_api
from kairflow.localnode.scheduling import Pod, meta

log = logging.getLogger(__name__)

KUBELET = "kubelet"
SCHEDULER = "kairflow-localnode"


class EventRecorder:
    def __init__(self, api: client.ApiClient, node_name: str) -> None:
        self.core = core_api(api)
        self.node_name = node_name
        self._tasks: set[asyncio.Task[None]] = set()

    def pod(
        self,
        pod: Pod,
        reason: str,
        message: str,
        warning: bool = False,
        container: str | None = None,
        component: str = KUBELET,
    ) -> None:
        body = self.body(pod, reason, message, warning, container, component)
        task = asyncio.create_task(self._post(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def body(
        self,
        pod: Pod,
        reason: str,
        message: str,
        warning: bool,
        container: str | None,
        component: str,
    ) -> dict[str, Any]:
        now = kube_time(datetime.now(UTC))
        namespace = meta(pod)["namespace"]
        involved: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": meta(pod)["name"],
            "namespace": namespace,
            "uid": meta(pod)["uid"],
        }
        if container is not None:
            involved["fieldPath"] = f"spec.containers{{{container}}}"
        return {
            "metadata": {"generateName": f"{involved['name']}.", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "source": {"component": component, "host": self.node_name},
            "reportingComponent": component,
            "reportingInstance": self.node_name,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }

    async def _post(self, body: dict[str, Any]) -> None:
        namespace = body["metadata"]["namespace"]
        try:
            await call(self.core.create_namespaced_event(namespace, body, _preload_content=False))
        except Exception as exc:
            log.debug("event %s not posted: %r", body["reason"], exc)

    async def drain(self, timeout: float = 5.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
