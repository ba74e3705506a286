"""glibc's malloc, set up for the operator: a long-running asyncio process whose plans,
template renders and big-run layouts run on worker threads (`asyncio.to_thread`).

glibc gives each thread that allocates an arena of its own, up to eight per core, and
memory freed in one arena is reused only by it: the operator's RSS grew with arenas
holding what a few passes had freed. Two arenas, as MALLOC_ARENA_MAX=2 would set, cost
nothing measurable in time; a 10,000-item mapped run peaked at 436 MiB with glibc's
default and 351 MiB with two (bench/big_run.py --mapped 10000). MALLOC_ARENA_MAX, when
set, still wins: glibc reads it as the process starts and this leaves it alone.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit_arenas(count: int = ARENAS) -> bool:
    """Whether the limit was set: not when the environment sets its own, nor on a C
    library without glibc's mallopt (musl, macOS)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    done = bool(mallopt(M_ARENA_MAX, count))
    if done:
        log.debug("malloc: at most %d arenas", count)
    return done
