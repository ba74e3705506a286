"""Kubernetes Events on our objects, posted in the background (never blocking a sync)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient, ApiException

from kairflow.core.times import kube_time
from kairflow.k8s.writes import api_error

log = logging.getLogger(__name__)
COMPONENT = "kairflow"


def event_body(
    obj: dict[str, Any],
    kind: str,
    reason: str,
    message: str,
    at: datetime,
    instance: str | None = None,
) -> dict[str, Any]:
    """An Event by this operator replica (`instance`, default the host name: a pod's
    name), which `kubectl get events -o wide` shows as its source."""
    meta = obj["metadata"]
    now = kube_time(at)
    return {
        "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
        },
        "reason": reason,
        "message": message[:1024],
        "type": kind,
        "source": {"component": COMPONENT, "host": instance or socket.gethostname()},
        "reportingComponent": COMPONENT,
        "reportingInstance": instance or socket.gethostname(),
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EventPoster:
    def __init__(
        self,
        api: ApiClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        instance: str | None = None,
    ) -> None:
        self.core = client.CoreV1Api(api)
        self.instance = instance
        self.clock: Callable[[], datetime] = clock if clock is not None else _utcnow
        self._tasks: set[asyncio.Task[None]] = set()

    def post(self, obj: dict[str, Any], kind: str, reason: str, message: str) -> None:
        body = event_body(obj, kind, reason, message, self.clock(), self.instance)
        task = asyncio.create_task(self._send(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, body: dict[str, Any]) -> None:
        # The raw response: the created Event is not read back into a client model
        # (its times parsed by dateutil: a twentieth of the operator's time in a burst
        # of 200 scheduled runs, each with its RunCreated Event).
        try:
            response: Any = await self.core.create_namespaced_event(
                body["metadata"]["namespace"], cast(Any, body), _preload_content=False
            )
            if response.status >= 400:
                raise api_error(response.status, await response.json(content_type=None))
            response.release()
        except ApiException as exc:  # an Event is best effort, never a sync failure
            log.warning("could not post event %s: %s", body["reason"], exc.reason)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
