"""glibc's malloc, set up for the operator: a long-running asyncio process whose plans,
template renders and big-run layouts run on worker threads (`asyncio.to_thread`).

glibc gives each thread that allocates an arena of its own, up to eight per core, and
memory freed in one arena is reused only by it: the operator's RSS grew with arenas
holding what a few passes had freed. Two arenas, as MALLOC_ARENA_MAX=2 would set, cost
nothing measurable in time; a 10,000-item mapped run peaked at 436 MiB with glibc's
default and 351 MiB with two (bench/big_run.py --mapped 10000). MALLOC_ARENA_MAX, when
set, still wins: glibc reads it as the process starts and this leaves it alone.

And while the operator works, what malloc holds free goes back to the system every 10
seconds (`trim_while_busy`), so RSS falls after a big run instead of staying at its
busiest moment's mark.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


@functools.cache
def _glibc(function: str) -> Callable[..., int] | None:
    """A function of glibc's malloc; None on another C library (musl, macOS)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    found: Callable[..., int] | None = getattr(libc, function, None)
    return found


def limit_arenas(count: int = ARENAS) -> bool:
    """Whether the limit was set: not when the environment sets its own, nor on a C
    library without glibc's mallopt."""
    mallopt = _glibc("mallopt")
    if os.environ.get("MALLOC_ARENA_MAX") or mallopt is None:
        return False
    done = bool(mallopt(M_ARENA_MAX, count))
    if done:
        log.debug("malloc: at most %d arenas", count)
    return done


TRIM_EVERY = 10.0
"""Seconds between two returns of free memory to the system (`trim_while_busy`). A
trim of a few hundred MB takes 25-40 ms, during which other threads' large
allocations wait: 0.4% of the time at most. (A 10,000-item mapped run settled at
370 MiB without trims, 296 with them.)"""


def trim() -> bool:
    """Give the memory malloc holds free back to the system (glibc's malloc_trim):
    whether some was. Without it RSS stays at the high-water mark of the busiest
    moment (a pass over a big run builds and drops tens of MB)."""
    malloc_trim = _glibc("malloc_trim")
    return bool(malloc_trim(0)) if malloc_trim is not None else False


async def trim_while_busy(synced: Callable[[], float], every: float = TRIM_EVERY) -> None:
    """Trim every `every` seconds while the operator works: `synced()` counts its
    syncs, and an operator that synced nothing since the last trim has nothing new to
    give back. Off the event loop: a trim walks the heap."""
    last = -1.0
    while True:
        await asyncio.sleep(every)
        count = synced()
        if count != last:
            last = count
            await asyncio.to_thread(trim)
