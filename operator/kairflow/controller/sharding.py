"""This replica's share of the DAGs when replicas shard them (KAIRFLOW_SHARDS=on,
docs/sharding.md): renew our Lease, read the group's, and tell the queues which
DAGs became ours. Every decision is `core.sharding`'s; the work queues ask
`Shard.owns_dag` before each sync (`Runtime.acts_on`), so a replica that stops
owning a DAG stops acting on it at its next sync, with no other bookkeeping.

Every replica still watches and caches everything (read-only): pool and parallelism
counts stay global (docs/sharding.md says what that leaves open)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from kubernetes_asyncio.client import ApiClient

from kairflow.core.sharding import (
    LeaseTimes,
    Member,
    dag_shard_key,
    fenced,
    may_act,
    next_change,
    observe,
    renewed_by_me,
)
from kairflow.k8s.leases import ShardLeases

if TYPE_CHECKING:
    from kairflow.controller.runtime import Runtime

log = logging.getLogger(__name__)
Key = tuple[str, str]


RELEASE_TIMEOUT = 5.0
_BASE = datetime(2000, 1, 1, tzinfo=UTC)


def elapsed_clock() -> datetime:
    """Time for judging Leases: the boot clock, which neither NTP steps nor a wall
    clock set by hand move, and which counts a suspended machine's sleep (a replica
    frozen past its deadline wakes up fenced). Only differences of it mean anything."""
    clock = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return _BASE + timedelta(seconds=time.clock_gettime(clock))


def pool_shard_key(namespace: str, name: str) -> str:
    """Pools' status counts are written by one replica too, spread like DAGs."""
    return f"pool:{namespace}/{name}"


class Shard:
    """Our membership in the group, kept by a background task on the kopf loop."""

    def __init__(
        self,
        leases: ShardLeases,
        times: LeaseTimes,
        clock: Callable[[], datetime],
        keys: Callable[[], Iterable[Key]],
        pools: Callable[[], Iterable[Key]],
        gained: Callable[[list[Key], list[Key]], None],
    ) -> None:
        """`keys`/`pools`: the DAGs and Pools known now; `gained(dags, pools)`: sync
        these, they became ours."""
        self.leases, self.times, self.clock = leases, times, clock
        self.identity = leases.identity
        self.members: dict[str, Member] = {}
        self._keys, self._pools, self._gained = keys, pools, gained
        self._owned: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def owns(self, shard_key: str) -> bool:
        return may_act(self.identity, shard_key, self.members, self.times, self.clock())

    def owns_dag(self, key: Key) -> bool:
        return self.owns(dag_shard_key(*key))

    def owns_pool(self, key: Key) -> bool:
        return self.owns(pool_shard_key(*key))

    def owned_dags(self) -> int:
        return sum(1 for key in self._owned if not key.startswith("pool:"))

    def live_members(self) -> int:
        now = self.clock()
        return sum(
            1 for m in self.members.values() if now < m.renewal_seen_at + self.times.duration
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="shard-lease")

    async def stop(self) -> None:
        """Stop renewing and release our Lease: call once the queues have stopped.
        An API that does not answer soon leaves the Lease to expire instead."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await asyncio.wait_for(self.leases.release(), RELEASE_TIMEOUT)
        except Exception as exc:
            log.warning("shard %s: Lease not released (%r): it expires", self.identity, exc)

    async def poll(self) -> None:
        """Renew our Lease (acquiring it anew after we fenced ourselves: the others may
        have taken our DAGs meanwhile), read the group's, note what became ours."""
        started = self.clock()
        try:
            if fenced(self.identity, self.members, self.times, started):
                await self.leases.acquire()
            else:
                await self.leases.renew()
            records = await self.leases.members()
        except Exception as exc:  # the API is away: we fence ourselves in time
            log.warning("shard %s: cannot renew or read Leases: %r", self.identity, exc)
        else:
            members = observe(self.members, records, self.times, self.clock())
            self.members = renewed_by_me(members, self.identity, started)
        self._note_changes()

    def _note_changes(self) -> None:
        now = self.clock()
        dags = {dag_shard_key(*key): key for key in self._keys()}
        pools = {pool_shard_key(*key): key for key in self._pools()}
        owned = {
            shard_key
            for shard_key in (*dags, *pools)
            if may_act(self.identity, shard_key, self.members, self.times, now)
        }
        gained, lost = owned - self._owned, self._owned - owned
        self._owned = owned
        if gained or lost:
            log.info(
                "shard %s: owns %d DAGs and Pools (%d gained, %d given up) among %d replicas",
                self.identity,
                len(owned),
                len(gained),
                len(lost),
                self.live_members(),
            )
            self._gained(
                [dags[k] for k in sorted(gained) if k in dags],
                [pools[k] for k in sorted(gained) if k in pools],
            )

    async def _loop(self) -> None:
        """Renew every `renew_every`; in between, wake when ownership can change by
        time alone (a member joins or expires, a margin passes)."""
        renew_at = self.clock()
        while True:
            try:
                if self.clock() >= renew_at:
                    renew_at = self.clock() + self.times.renew_every
                    await self.poll()
                else:
                    self._note_changes()
            except Exception:  # a dead loop would leave this replica fenced for good
                log.exception("shard %s: membership pass failed", self.identity)
            now = self.clock()
            wake_at = min(renew_at, next_change(self.members.values(), self.times, now) or renew_at)
            await asyncio.sleep(max(0.0, (wake_at - now).total_seconds()) + 0.01)


def start_shard(runtime: Runtime, api: ApiClient) -> Shard:
    """Join the group of replicas (KAIRFLOW_SHARDS=on) and start keeping our Lease."""
    settings = runtime.settings
    leases = ShardLeases(
        api,
        group=settings.peering_name,
        identity=settings.shard_identity_or_host,
        namespace=settings.shard_lease_namespace,
        duration=settings.shard_lease_duration,
        pod_uid=settings.shard_pod_uid,
    )
    cache = runtime.cache
    shard = Shard(
        leases,
        LeaseTimes(settings.shard_lease_duration),
        elapsed_clock,
        keys=lambda: list(cache.dags),
        pools=lambda: list(cache.pools),
        gained=runtime.take_over,
    )
    runtime.metrics.watch_shard(shard.owned_dags, shard.live_members)
    log.info(
        "shard %s: joining group %s (Leases in %s); owns nothing for the first %ss",
        leases.identity,
        leases.group,
        leases.namespace,
        (shard.times.join_delay + shard.times.margin).total_seconds(),
    )
    shard.start()
    return shard
