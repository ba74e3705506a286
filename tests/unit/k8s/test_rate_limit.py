"""The operator's client-side API limits: requests in flight, and a QPS token bucket."""

from __future__ import annotations

import asyncio

import pytest

from kairflow.k8s.rate_limit import ApiLimiter, PrioritySlots, TokenBucket


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


async def _order_served(
    size: int, arrivals: list[str], cancel: frozenset[int] = frozenset()
) -> list[str]:
    """Holders fill `size` slots; then requests arrive ("u…" urgent, "n…" normal) and
    wait; those at positions in `cancel` give up; the holders then leave one by one.
    The order in which the waiters got in."""
    slots = PrioritySlots(size)
    for _ in range(size):
        await slots.acquire()
    served: list[str] = []

    async def wait(name: str) -> None:
        await slots.acquire(urgent=name.startswith("u"))
        served.append(name)

    tasks = [asyncio.create_task(wait(name)) for name in arrivals]
    for _ in range(5):
        await asyncio.sleep(0)  # every waiter is queued
    for index in cancel:
        tasks[index].cancel()
    for _ in range(len(arrivals) + size):
        slots.release()  # a holder (or a waiter served, in turn) leaves
        for _ in range(3):
            await asyncio.sleep(0)
    await asyncio.gather(*tasks, return_exceptions=True)
    return served


@pytest.mark.parametrize(
    ("arrivals", "cancel", "served"),
    [
        pytest.param(
            ["n1", "n2", "u1", "n3", "u2"],
            frozenset(),
            ["u1", "u2", "n1", "n2", "n3"],
            id="run creates go before status writes that waited longer",
        ),
        pytest.param(
            ["n1", "n2", "n3"], frozenset(), ["n1", "n2", "n3"], id="others wait in arrival order"
        ),
        pytest.param(
            ["u1", "n1", "u2"],
            frozenset({0}),
            ["u2", "n1"],
            id="a waiter that gives up takes no slot with it",
        ),
    ],
)
def test_urgent_requests_get_the_next_free_slot(
    arrivals: list[str], cancel: frozenset[int], served: list[str]
) -> None:
    assert asyncio.run(_order_served(1, arrivals, cancel)) == served


def test_no_more_holders_than_slots_with_both_kinds_waiting() -> None:
    async def scenario() -> int:
        limiter = ApiLimiter(parallel=2)
        inside, most = 0, 0

        async def request(urgent: bool) -> None:
            nonlocal inside, most
            async with limiter.slot(urgent):
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0)
                inside -= 1

        await asyncio.gather(*(request(i % 3 == 0) for i in range(30)))
        return most

    assert asyncio.run(scenario()) == 2
