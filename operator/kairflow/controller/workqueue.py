"""A keyed work queue like client-go's: a key is processed by one worker at a time,
events for a key already waiting coalesce into one sync, and a key may be re-queued
at a future time (the planner's `wake_at`). Hand-off latency is the time from an
enqueue to the sync starting: no polling, no fixed requeue interval."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)

Sync = Callable[[Hashable], Awaitable[None]]


class WorkQueue:
    def __init__(
        self,
        sync: Sync,
        workers: int = 4,
        name: str = "queue",
        error_backoff: tuple[float, ...] = (0.2, 0.5, 1, 2, 5, 10, 30),
        sync_timeout: float = 120.0,
    ) -> None:
        self._sync_timeout = sync_timeout
        self._sync = sync
        self._workers = workers
        self.name = name
        self._backoff = error_backoff
        self._ready: asyncio.Queue[Hashable] = asyncio.Queue()
        self._queued: set[Hashable] = set()
        self._running: set[Hashable] = set()
        self._dirty: set[Hashable] = set()
        self._timers: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}
        self._failures: dict[Hashable, int] = {}
        self._counter = itertools.count()
        self._timer_changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, key: Hashable) -> None:
        """Sync `key` as soon as a worker is free (coalesces with a pending add)."""
        if key in self._running:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._ready.put_nowait(key)

    def add_at(self, key: Hashable, when: float) -> None:
        """Sync `key` at monotonic time `when` (keeps only the earliest pending time)."""
        if when <= time.monotonic():
            self.add(key)
            return
        current = self._due.get(key)
        if current is not None and current <= when:
            return
        self._due[key] = when
        heapq.heappush(self._timers, (when, next(self._counter), key))
        self._timer_changed.set()

    def forget(self, key: Hashable) -> None:
        self._due.pop(key, None)
        self._failures.pop(key, None)

    def depth(self) -> int:
        return self._ready.qsize()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"{self.name}-worker-{i}")
            for i in range(self._workers)
        ]
        self._tasks.append(asyncio.create_task(self._timer_loop(), name=f"{self.name}-timers"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _timer_loop(self) -> None:
        while True:
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                when, _, key = heapq.heappop(self._timers)
                if self._due.get(key) == when:
                    del self._due[key]
                    self.add(key)
            timeout = self._timers[0][0] - now if self._timers else None
            self._timer_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_changed.wait(), timeout)

    async def _work(self) -> None:
        while True:
            key = await self._ready.get()
            self._queued.discard(key)
            self._running.add(key)
            try:
                # A sync that hangs would hold its key: bound it, then retry with backoff.
                await asyncio.wait_for(self._sync(key), self._sync_timeout)
            except asyncio.CancelledError:
                raise
            except Exception:
                failures = self._failures.get(key, 0)
                self._failures[key] = failures + 1
                delay = self._backoff[min(failures, len(self._backoff) - 1)]
                log.exception("%s: sync of %s failed; retrying in %ss", self.name, key, delay)
                self.add_at(key, time.monotonic() + delay)
            else:
                self._failures.pop(key, None)
            finally:
                self._running.discard(key)
                if key in self._dirty:
                    self._dirty.discard(key)
                    self.add(key)
