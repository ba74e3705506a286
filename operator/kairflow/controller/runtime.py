"""Everything a sync needs, shared by the handlers: caches, queues, the writer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kairflow.controller.cache import Cache, Key
from kairflow.controller.metrics import Metrics
from kairflow.controller.settings import OperatorSettings
from kairflow.controller.workqueue import WorkQueue
from kairflow.k8s.events import EventPoster
from kairflow.k8s.writes import Conflict, Writer

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: OperatorSettings
    writer: Writer
    cache: Cache = field(default_factory=Cache)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utcnow
    dag_queue: WorkQueue | None = None
    run_queue: WorkQueue | None = None
    backfill_queue: WorkQueue | None = None
    waiting_for_slots: set[Key] = field(default_factory=set)
    events: EventPoster | None = None
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    async def write_status(self, plural: str, body: dict[str, Any], wire: dict[str, Any]) -> None:
        """PUT a DAG's or Backfill's status (unless unchanged) and keep the cache current.
        On a conflict our copy is stale: re-read it so the retry does not conflict again."""
        if wire == (body.get("status") or {}):
            return
        put, enqueue = {
            "dags": (self.cache.put_dag, self.enqueue_dag),
            "backfills": (self.cache.put_backfill, self.enqueue_backfill),
        }[plural]
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        try:
            written = await self.writer.replace_status(namespace, plural, {**body, "status": wire})
        except Conflict:
            fresh = await self.writer.get(namespace, plural, name)
            if fresh is not None:
                put(fresh)
                enqueue((namespace, name))
            return
        put(written)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Background API work that must not delay a sync (kept referenced until done)."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background API call failed: %s", task.exception())

    def run_states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        # Called from the metrics server's thread: iterate over a snapshot.
        for body in list(self.cache.runs.copy().values()):
            state = (body.get("status") or {}).get("state") or "pending"
            counts[state] = counts.get(state, 0) + 1
        return counts

    def queues(self) -> list[WorkQueue]:
        return [q for q in (self.dag_queue, self.run_queue, self.backfill_queue) if q]

    def enqueue_run(self, key: Key) -> None:
        if self.run_queue is not None:
            self.run_queue.add(key)

    def enqueue_dag(self, key: Key) -> None:
        if self.dag_queue is not None:
            self.dag_queue.add(key)

    def enqueue_backfill(self, key: Key) -> None:
        if self.backfill_queue is not None:
            self.backfill_queue.add(key)

    def wake_at(self, queue: WorkQueue | None, key: Key, when: datetime) -> None:
        """Re-queue `key` at wall-clock `when`."""
        if queue is not None:
            queue.add_at(key, when)

    def event(self, body: dict[str, Any], kind: str, reason: str, message: str) -> None:
        """A Kubernetes Event on the object, posted in the background."""
        if self.events is not None:
            self.events.post(body, kind, reason, message)
