"""A Pool's sync: write its counts (running, queued, open) to its status.

The counts come from the cache's runs (`core.pools.pool_stats`); the write is skipped
when they are unchanged, so a busy pool costs one status write per change of what
it holds or queues, never one per planning pass.
"""

from __future__ import annotations

from datetime import datetime

from kairflow.api.pool import PoolStatus
from kairflow.controller.cache import Key
from kairflow.controller.runtime import Runtime
from kairflow.core.pools import PoolStats, pool_stats


def pool_status(stats: PoolStats) -> PoolStatus:
    return PoolStatus(
        slots=stats.slots,
        occupied_slots=stats.occupied_slots,
        running=stats.running,
        queued=stats.queued,
        open_slots=stats.open_slots,
    )


async def sync_pool(rt: Runtime, key: Key) -> datetime | None:
    body = rt.cache.pools.get(key)
    if body is None:
        return None
    table = rt.cache.pool_table(rt.settings.pool_slots())
    stats = pool_stats(table, key, rt.cache.all_runs())
    # Compare in wire form: every count is written, zeros included.
    wire = pool_status(stats).model_dump(by_alias=True, exclude_none=True)
    await rt.write_status("pools", body, wire)
    return None
