"""The operator's client-side API limits: requests in flight, and a QPS token bucket."""

from __future__ import annotations

import asyncio

import pytest

from kairflow.k8s.rate_limit import ApiLimiter, TokenBucket


@pytest.mark.parametrize(
    ("qps", "burst", "asks", "waits"),
    [
        pytest.param(10, 3, [0, 0, 0], [0, 0, 0], id="a full bucket lets a burst through at once"),
        pytest.param(
            10,
            3,
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0.1, 0.2],
            id="past the burst each request waits its turn",
        ),
        pytest.param(
            10, 3, [0, 0, 0, 0.5, 0.5], [0, 0, 0, 0, 0], id="tokens come back at the qps rate"
        ),
        pytest.param(
            2, 1, [0, 10, 10], [0, 0, 0.5], id="a long idle time saves up no more than the burst"
        ),
    ],
)
def test_token_bucket(qps: float, burst: int, asks: list[float], waits: list[float]) -> None:
    bucket = TokenBucket(qps, burst)
    assert [round(bucket.take(at), 6) for at in asks] == waits


def test_no_more_requests_than_the_parallelism_are_in_flight() -> None:
    async def scenario() -> tuple[int, int]:
        limiter = ApiLimiter(parallel=3)
        inside, most, release = 0, 0, asyncio.Event()

        async def request() -> None:
            nonlocal inside, most
            async with limiter.slot():
                inside += 1
                most = max(most, inside)
                await release.wait()
                inside -= 1

        tasks = [asyncio.create_task(request()) for _ in range(10)]
        while inside < 3:
            await asyncio.sleep(0)
        for _ in range(20):  # let every other request try to get in
            await asyncio.sleep(0)
        seen = most
        release.set()
        await asyncio.gather(*tasks)
        return seen, most

    assert asyncio.run(scenario()) == (3, 3)


def test_a_qps_limit_makes_requests_past_the_burst_wait_on_the_clock() -> None:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(round(seconds, 6))

    async def scenario() -> None:
        limiter = ApiLimiter(parallel=100, qps=4, burst=2, clock=lambda: 0.0, sleep=sleep)
        for _ in range(4):
            async with limiter.slot():
                pass

    asyncio.run(scenario())
    assert waited == [0.25, 0.5]
