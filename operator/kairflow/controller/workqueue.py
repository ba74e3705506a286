"""A keyed work queue like client-go's: a key is processed by one worker at a time,
events for a key already waiting coalesce into one sync, and a key may be re-queued
at a wall-clock time (the wake-up its sync returns, as the Kubernetes CronJob
controller's sync returns requeueAfter). Hand-off latency is the time from an enqueue
to the sync starting: no polling, no fixed requeue interval.

`QueueState` is the bookkeeping, synchronous and given every `now`: its tests need no
event loop and no sleeps. `WorkQueue` drives it with asyncio workers and a clock."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

Sync = Callable[[Hashable], Awaitable[datetime | None]]
"""Syncs one key; returns when it wants to run again (None: only on an event)."""

ERROR_BACKOFF = (0.2, 0.5, 1, 2, 5, 10, 30)
"""Seconds before re-running a key whose sync failed, by consecutive failures."""

YIELD_LIMIT = 1.0
"""Seconds a queue's worker waits at most for the queues that go first to drain, so a
queue that is never empty cannot starve the ones after it."""

MAX_TIMER_WAIT = 60.0
"""The timer task re-reads the clock at least this often (seconds): a wall clock that
jumps (NTP, a suspended VM) delays a timer by at most this much."""


class QueueState:
    """Which keys wait, run, must re-run, and when timers fire. Times are aware
    wall-clock datetimes given by the caller."""

    def __init__(self, error_backoff: Sequence[float] = ERROR_BACKOFF) -> None:
        if not error_backoff:
            raise ValueError("error_backoff needs at least one delay")
        self._backoff = [timedelta(seconds=s) for s in error_backoff]
        self._ready: deque[Hashable] = deque()
        self._queued: set[Hashable] = set()
        self._running: set[Hashable] = set()
        self._dirty: set[Hashable] = set()
        # A heap of (when, tie-breaker, key); `_due` holds each key's live entry, so an
        # entry replaced by an earlier one is skipped when it surfaces.
        self._timers: list[tuple[datetime, int, Hashable]] = []
        self._due: dict[Hashable, datetime] = {}
        self._failures: dict[Hashable, int] = {}
        self._paced: dict[Hashable, datetime] = {}
        self._counter = itertools.count()

    def add(self, key: Hashable, now: datetime | None = None) -> None:
        """Sync `key` as soon as a worker is free. A key already waiting is not queued
        twice; a key being synced runs once more after its current sync; a paced key
        (`pace`) runs at its time, given `now`."""
        if key in self._running:
            self._dirty.add(key)
            return
        paced = self._paced.get(key)
        if paced is not None and now is not None:
            if paced > now:
                self.add_at(key, paced)
                return
            del self._paced[key]
        if key not in self._queued:
            self._queued.add(key)
            self._ready.append(key)

    def pace(self, key: Hashable, until: datetime) -> None:
        """`key`'s next sync starts no earlier than `until`: what happens meanwhile is
        taken in by that one sync (see `core.pacing`)."""
        self._paced[key] = until

    def add_at(self, key: Hashable, when: datetime) -> None:
        """Sync `key` at `when`; a key keeps only its earliest pending time."""
        if when.tzinfo is None:
            raise ValueError(f"naive wake-up time {when} for {key!r}: give an aware datetime")
        current = self._due.get(key)
        if current is not None and current <= when:
            return
        self._due[key] = when
        heapq.heappush(self._timers, (when, next(self._counter), key))

    def pop(self) -> Hashable | None:
        """The next key to sync (now running), or None when none waits."""
        if not self._ready:
            return None
        key = self._ready.popleft()
        self._queued.discard(key)
        self._running.add(key)
        return key

    def done(
        self,
        key: Hashable,
        *,
        wake_at: datetime | None = None,
        failed: bool = False,
        now: datetime,
    ) -> timedelta | None:
        """`key`'s sync ended. It runs again at `wake_at`, or after the error backoff
        when it failed (returned: the delay), and at once if it was added meanwhile."""
        self._running.discard(key)
        retry_in = None
        if failed:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
            retry_in = self._backoff[min(failures, len(self._backoff) - 1)]
            self.add_at(key, now + retry_in)
        else:
            self._failures.pop(key, None)
            if wake_at is not None:
                self.add_at(key, wake_at)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key, now)
        return retry_in

    def fire_due(self, now: datetime) -> list[Hashable]:
        """Queue every key whose time has come (earliest first); returns them."""
        fired: list[Hashable] = []
        while self._timers and self._timers[0][0] <= now:
            when, _, key = heapq.heappop(self._timers)
            if self._due.get(key) == when:
                del self._due[key]
                fired.append(key)
                self._paced.pop(key, None)  # its paced time has come, or an earlier one
                self.add(key)
        return fired

    def next_due(self) -> datetime | None:
        """When the earliest pending timer fires (None: no timer)."""
        while self._timers:
            when, _, key = self._timers[0]
            if self._due.get(key) == when:
                return when
            heapq.heappop(self._timers)  # replaced by an earlier time, or fired
        return None

    def depth(self) -> int:
        """Keys waiting for a worker."""
        return len(self._ready)


class WorkQueue:
    """`QueueState` driven by asyncio: `workers` tasks run syncs, one task fires timers."""

    def __init__(
        self,
        sync: Sync,
        workers: int = 4,
        name: str = "queue",
        error_backoff: Sequence[float] = ERROR_BACKOFF,
        sync_timeout: float = 120.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        after: Sequence[WorkQueue] = (),
    ) -> None:
        """`after`: queues whose waiting keys go first. A worker here starts no sync
        while one of them has keys waiting (for up to YIELD_LIMIT)."""
        self.state = QueueState(error_backoff)
        self._after = tuple(after)
        self._drained = asyncio.Event()
        self._drained.set()
        self.name = name
        self._sync = sync
        self._workers = workers
        self._sync_timeout = sync_timeout
        self._clock = clock
        self._has_work = asyncio.Event()
        self._timer_changed = asyncio.Event()
        self._waiting_until: datetime | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False

    def add(self, key: Hashable) -> None:
        """Sync `key` as soon as a worker is free (coalesces with a pending add), or
        at its paced time."""
        self.state.add(key, self._clock())
        self._changed()

    def pace(self, key: Hashable, until: datetime) -> None:
        """`key`'s next sync starts no earlier than wall-clock `until`."""
        self.state.pace(key, until)

    def add_at(self, key: Hashable, when: datetime) -> None:
        """Sync `key` at wall-clock `when` (keeps only the earliest pending time)."""
        self.state.add_at(key, when)
        self._changed()

    def check_timers(self) -> None:
        """Re-read the clock now rather than at the next planned wake-up (the clock
        moved: a test's clock, or a wall clock stepped forward)."""
        self._timer_changed.set()

    def depth(self) -> int:
        return self.state.depth()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"{self.name}-worker-{i}")
            for i in range(self._workers)
        ]
        self._tasks.append(asyncio.create_task(self._timer_loop(), name=f"{self.name}-timers"))

    async def stop(self) -> None:
        # Python 3.11's wait_for can swallow a cancel that lands as the sync finishes:
        # the loops also end on the flag, woken by their events.
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        self._has_work.set()
        self._timer_changed.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _changed(self) -> None:
        """Wake a worker if a key waits, and the timer task if a timer is now earlier
        than the one it sleeps until."""
        if self.state.depth():
            self._has_work.set()
            self._drained.clear()
        else:
            self._drained.set()
        due = self.state.next_due()
        if due is not None and (self._waiting_until is None or due < self._waiting_until):
            self._timer_changed.set()

    async def _timer_loop(self) -> None:
        while not self._stopped:
            now = self._clock()
            self.state.fire_due(now)
            self._changed()
            self._waiting_until = self.state.next_due()
            self._timer_changed.clear()
            timeout = None
            if self._waiting_until is not None:
                left = (self._waiting_until - now).total_seconds()
                timeout = min(MAX_TIMER_WAIT, max(0.0, left))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_changed.wait(), timeout)

    async def _let_first_go(self) -> None:
        """Wait while a queue that goes first has keys waiting (bounded)."""
        for first in self._after:
            if first.depth():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(first._drained.wait(), YIELD_LIMIT)

    async def _work(self) -> None:
        while not self._stopped:
            await self._let_first_go()
            key = self.state.pop()
            if key is not None:
                self._changed()  # the last key waiting taken: the queue has drained
            if key is None:
                self._has_work.clear()
                await self._has_work.wait()
                continue
            try:
                # A sync that hangs would hold its key: bound it, then retry with backoff.
                wake_at = await asyncio.wait_for(self._sync(key), self._sync_timeout)
                if wake_at is not None and wake_at.tzinfo is None:
                    raise ValueError(f"sync returned a naive wake-up time {wake_at}")
            except Exception:
                retry_in = self.state.done(key, failed=True, now=self._clock()) or timedelta()
                log.exception(
                    "%s: sync of %s failed; retrying in %ss",
                    self.name,
                    key,
                    retry_in.total_seconds(),
                )
            else:
                self.state.done(key, wake_at=wake_at, now=self._clock())
            self._changed()
