"""The operator's client-side limits on its API requests: at most `parallel` in flight,
and (when `qps` is set) a token bucket of `qps` requests a second with bursts of
`burst`, as client-go's QPS/Burst and Argo's `--qps`/`--burst`.

Why both: a run that makes 5,000 task instances ready at once must not open 5,000
connections (the API server's max-requests-inflight would answer 429s), and an admin
sharing an API server with other controllers may want a request rate the operator
never exceeds. The bucket is a pure calculation on a clock given to it; `ApiLimiter`
is the asyncio shell that waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

UNLIMITED = 1_000_000
"""`parallel` for no bound worth the name (a Writer made without a limiter)."""


@dataclass
class TokenBucket:
    """`qps` tokens a second, at most `burst` saved up; starts full."""

    qps: float
    burst: int
    _tokens: float = field(init=False)
    _at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._tokens = float(max(1, self.burst))

    def take(self, now: float) -> float:
        """Take one token at `now`; returns how long to wait before using it (0 when
        one was saved up). Tokens taken ahead are owed: later callers wait longer."""
        if self._at is not None:
            self._tokens = min(
                float(max(1, self.burst)), self._tokens + (now - self._at) * self.qps
            )
        self._at = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps


class ApiLimiter:
    """Wraps each API request: `async with limiter.slot(): await call()`."""

    def __init__(
        self,
        parallel: int,
        qps: float = 0.0,
        burst: int = 0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.parallel = max(1, parallel)
        self._slots = asyncio.Semaphore(self.parallel)
        self._bucket = TokenBucket(qps, burst or max(1, int(qps))) if qps > 0 else None
        self._clock = clock
        self._sleep = sleep

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._bucket is not None:
            clock = self._clock or asyncio.get_running_loop().time
            wait = self._bucket.take(clock())
            if wait > 0:
                await self._sleep(wait)
        async with self._slots:
            yield
