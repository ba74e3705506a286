"""The controller's work queue: coalescing, single-flight, timers and error backoff.

`QueueState` is driven by scripts of steps (times relative to the script's clock, in
seconds), each step checking what it returns; `WorkQueue` runs on a fake clock, and
the event loop is driven by yielding (never by sleeping)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from kairflow.controller.workqueue import QueueState, WorkQueue

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _key(word: str) -> Hashable | None:
    return None if word == "-" else word


def run_script(steps: list[str]) -> None:
    """Steps: `add K` · `at +S K` (timer S s from now) · `pace K +S` (its next sync
    not before S s from now) · `pop K|-` (the key popped) ·
    `done K [wake +S]` · `fail K retry S` (the backoff returned) · `wait S [K...]` (the
    clock moves on S s; the keys whose timers fire) · `next +S|-` · `depth N`."""
    state, now = QueueState(), T0
    for step in steps:
        verb, *args = step.split()
        if verb == "add":
            state.add(args[0], now)
        elif verb == "pace":
            state.pace(args[0], now + timedelta(seconds=float(args[1])))
        elif verb == "at":
            state.add_at(args[1], now + timedelta(seconds=float(args[0])))
        elif verb == "pop":
            assert state.pop() == _key(args[0]), step
        elif verb == "done":
            wake = now + timedelta(seconds=float(args[2])) if args[1:] else None
            assert state.done(args[0], wake_at=wake, now=now) is None, step
        elif verb == "fail":
            retry_in = state.done(args[0], failed=True, now=now)
            assert retry_in == timedelta(seconds=float(args[2])), step
        elif verb == "wait":
            now += timedelta(seconds=float(args[0]))
            assert state.fire_due(now) == args[1:], step
        elif verb == "next":
            due = None if args[0] == "-" else now + timedelta(seconds=float(args[0]))
            assert state.next_due() == due, step
        elif verb == "depth":
            assert state.depth() == int(args[0]), step
        else:
            raise ValueError(step)


BACKOFF = ["add a"] + [
    line
    for delay in ("0.2", "0.5", "1", "2", "5", "10", "30", "30")
    for line in ("pop a", f"fail a retry {delay}", f"wait {delay} a")
]


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(
            ["add a", "add a", "add a", "depth 1", "pop a", "pop -"],
            id="adds of a waiting key merge into one sync",
        ),
        pytest.param(
            ["add b", "add a", "add c", "pop b", "pop a", "pop c", "pop -"],
            id="waiting keys are synced in the order they were added",
        ),
        pytest.param(
            ["add a", "pop a", "add a", "add a", "pop -", "done a", "pop a", "done a", "pop -"],
            id="an add while the key runs re-runs it once after",
        ),
        pytest.param(
            ["add a", "add b", "pop a", "add a", "pop b", "pop -", "done a", "pop a"],
            id="a running key is not handed to a second worker",
        ),
        pytest.param(
            ["at +30 a", "at +10 a", "next +10", "wait 10 a", "next -", "wait 20"],
            id="the earliest timer wins",
        ),
        pytest.param(
            ["at +10 a", "at +30 a", "next +10", "wait 9.999", "wait 0.001 a", "wait 20"],
            id="a later timer does not delay an earlier one",
        ),
        pytest.param(
            ["at +3 c", "at +1 a", "at +2 b", "wait 2 a b", "pop a", "pop b", "wait 1 c"],
            id="due timers fire in time order",
        ),
        pytest.param(
            ["add a", "at +5 a", "wait 5 a", "depth 1", "pop a", "pop -"],
            id="a timer for a key that is already queued does not duplicate it",
        ),
        pytest.param(
            ["add a", "pop a", "at +5 a", "wait 5 a", "pop -", "done a", "pop a"],
            id="a timer for a running key re-runs it after its sync",
        ),
        pytest.param(
            ["add a", "pop a", "done a wake +60", "next +60", "wait 59.9", "wait 0.1 a", "pop a"],
            id="a returned wake-up time schedules the key",
        ),
        pytest.param(
            ["at +10 a", "add a", "pop a", "done a wake +60", "next +10", "wait 10 a", "pop a"],
            id="a returned wake-up time later than a pending timer keeps the earlier one",
        ),
        pytest.param(
            ["add a", "pop a", "done a wake -5", "next -5", "wait 0 a", "pop a"],
            id="a returned wake-up time already past fires at the next check",
        ),
        pytest.param(
            ["add a", "pop a", "done a", "next -", "pop -"],
            id="a sync that returns no wake-up runs again only on an event",
        ),
        pytest.param(BACKOFF, id="errors back off 0.2, 0.5, 1, 2, 5, 10 then 30 s"),
        pytest.param(
            [
                *("add a", "pop a", "fail a retry 0.2", "wait 0.2 a"),
                *("pop a", "fail a retry 0.5", "wait 0.5 a"),
                *("pop a", "done a", "add a", "pop a", "fail a retry 0.2"),
            ],
            id="the error backoff starts over after a success",
        ),
        pytest.param(
            [
                *("add a", "pop a", "fail a retry 0.2", "wait 0.2 a"),
                *("pop a", "fail a retry 0.5", "add b", "pop b", "fail b retry 0.2"),
            ],
            id="each key has its own error backoff",
        ),
        pytest.param(
            ["add a", "pop a", "add a", "fail a retry 0.2", "pop a", "next +0.2"],
            id="a failed key added during its sync runs again at once, its retry still set",
        ),
        pytest.param(
            [
                *("add a", "pop a", "pace a +2", "done a", "add a", "add a", "pop -"),
                *("next +2", "wait 1.9", "wait 0.1 a", "pop a", "pop -"),
            ],
            id="a paced key changed after its sync runs once, at its paced time",
        ),
        pytest.param(
            ["add a", "pop a", "add a", "pace a +2", "done a", "pop -", "wait 2 a", "pop a"],
            id="a paced key changed during its sync runs again at its paced time, not at once",
        ),
        pytest.param(
            ["add a", "pop a", "pace a +2", "done a", "wait 3", "add a", "pop a"],
            id="a paced key changed after its paced time runs at once",
        ),
        pytest.param(
            [
                *("add a", "pop a", "pace a +2", "done a", "add a", "wait 2 a", "pop a"),
                *("done a", "add a", "pop a"),
            ],
            id="a pace holds for one sync: a key not paced again runs at once after it",
        ),
        pytest.param(
            ["add a", "pop a", "pace a +5", "done a wake +1", "add a", "wait 1 a", "pop a"],
            id="a wake-up the sync asked for before its paced time still comes first",
        ),
        pytest.param(
            ["add a", "pop a", "pace a +5", "done a", "add b", "pop b"],
            id="pacing one key delays no other",
        ),
    ],
)
def test_queue_state(steps: list[str]) -> None:
    run_script(steps)


def test_a_naive_wake_up_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        QueueState().add_at("a", datetime(2026, 11, 21, 12, 0))


def test_an_empty_error_backoff_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        QueueState(error_backoff=())


# --- WorkQueue on asyncio, with a fake clock -------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def until(condition: Callable[[], bool], turns: int = 2000) -> None:
    """Let the loop run until `condition` holds (fails rather than hang)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the queue never got there")


async def settle(turns: int = 200) -> None:
    """Let every runnable task run until it blocks."""
    for _ in range(turns):
        await asyncio.sleep(0)


def test_a_key_is_synced_by_one_worker_at_a_time_and_re_run_once_after() -> None:
    async def scenario() -> None:
        release = asyncio.Event()
        calls: list[Hashable] = []
        running, peak = 0, 0

        async def sync(key: Hashable) -> datetime | None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            calls.append(key)
            if len(calls) == 1:
                await release.wait()
            running -= 1
            return None

        queue = WorkQueue(sync, workers=4, clock=FakeClock())
        queue.start()
        queue.add("a")
        await until(lambda: calls == ["a"])
        for _ in range(3):
            queue.add("a")
        await settle()
        assert calls == ["a"]  # three idle workers did not take it
        release.set()
        await until(lambda: len(calls) == 2 and running == 0)
        await settle()
        assert (calls, peak) == (["a", "a"], 1)
        await queue.stop()

    asyncio.run(scenario())


def test_a_returned_wake_up_time_runs_the_key_when_the_clock_reaches_it() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        calls: list[datetime] = []

        async def sync(key: Hashable) -> datetime | None:
            calls.append(clock())
            return T0 + timedelta(minutes=5) if len(calls) == 1 else None

        queue = WorkQueue(sync, workers=2, clock=clock)
        queue.start()
        queue.add("a")
        await until(lambda: queue.state.next_due() == T0 + timedelta(minutes=5))
        clock.now = T0 + timedelta(minutes=4)
        queue.check_timers()
        await settle()
        assert calls == [T0]
        clock.now = T0 + timedelta(minutes=5)
        queue.check_timers()
        await until(lambda: len(calls) == 2)
        assert calls == [T0, T0 + timedelta(minutes=5)]
        assert queue.state.next_due() is None
        await queue.stop()

    asyncio.run(scenario())


def test_an_earlier_timer_wakes_the_timer_task_at_once() -> None:
    async def scenario() -> None:
        calls: list[Hashable] = []

        async def sync(key: Hashable) -> datetime | None:
            calls.append(key)
            return None

        queue = WorkQueue(sync, workers=1, clock=FakeClock())
        queue.start()
        queue.add_at("later", T0 + timedelta(hours=1))
        await settle()  # the timer task now waits (up to a minute of real time)
        queue.add_at("now", T0)
        await until(lambda: calls == ["now"])
        assert queue.state.next_due() == T0 + timedelta(hours=1)
        await queue.stop()

    asyncio.run(scenario())


def test_a_failed_sync_is_logged_and_retried_after_the_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        clock = FakeClock()
        calls: list[datetime] = []

        async def sync(key: Hashable) -> datetime | None:
            calls.append(clock())
            if len(calls) == 1:
                raise RuntimeError("apiserver away")
            return None

        queue = WorkQueue(sync, workers=1, name="dagruns", clock=clock)
        queue.start()
        queue.add("a")
        await until(lambda: queue.state.next_due() == T0 + timedelta(seconds=0.2))
        clock.now += timedelta(seconds=0.2)
        queue.check_timers()
        await until(lambda: len(calls) == 2)
        await queue.stop()

    with caplog.at_level(logging.ERROR, logger="kairflow.controller.workqueue"):
        asyncio.run(scenario())
    assert [r.getMessage() for r in caplog.records] == [
        "dagruns: sync of a failed; retrying in 0.2s"
    ]
    assert "apiserver away" in (caplog.records[0].exc_text or "")


def test_a_naive_wake_up_time_from_a_sync_is_a_failure_and_the_worker_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        synced: list[Hashable] = []

        async def sync(key: Hashable) -> datetime | None:
            synced.append(key)
            return datetime(2026, 11, 21, 12, 5) if key == "a" else None

        queue = WorkQueue(sync, workers=1, clock=FakeClock())
        queue.start()
        queue.add("a")
        await until(lambda: queue.state.next_due() == T0 + timedelta(seconds=0.2))
        queue.add("b")
        await until(lambda: synced == ["a", "b"])
        await queue.stop()

    with caplog.at_level(logging.ERROR, logger="kairflow.controller.workqueue"):
        asyncio.run(scenario())
    assert [r.getMessage() for r in caplog.records] == ["queue: sync of a failed; retrying in 0.2s"]
    assert "naive wake-up time 2026-11-21 12:05:00" in (caplog.records[0].exc_text or "")


def test_a_sync_that_outlives_the_sync_timeout_is_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        async def sync(key: Hashable) -> datetime | None:
            await asyncio.Event().wait()  # hangs
            return None

        # A timeout of 0 s fails every sync that does not finish at once: no waiting.
        queue = WorkQueue(sync, workers=1, sync_timeout=0, clock=FakeClock())
        queue.start()
        queue.add("a")
        await until(lambda: queue.state.next_due() == T0 + timedelta(seconds=0.2))
        await queue.stop()

    with caplog.at_level(logging.ERROR, logger="kairflow.controller.workqueue"):
        asyncio.run(scenario())
    assert [r.getMessage() for r in caplog.records] == ["queue: sync of a failed; retrying in 0.2s"]
    assert "TimeoutError" in (caplog.records[0].exc_text or "")


def _blocking_queue(
    calls: list[Hashable],
    release: asyncio.Event,
    workers: int,
    name: str,
    after: Sequence[WorkQueue] = (),
) -> WorkQueue:
    """A queue whose syncs record their key and hold their worker until `release`."""

    async def sync(key: Hashable) -> datetime | None:
        calls.append(key)
        await release.wait()
        return None

    return WorkQueue(sync, workers=workers, name=name, clock=FakeClock(), after=after)


class DagsThenRuns:
    """A DAG queue whose one worker is busy with d1 while d2 waits, and a run queue
    that goes after it, where r1 has just been added. Syncs hold their worker until
    their queue's release."""

    def __init__(self, run_workers: int) -> None:
        self.dag_calls: list[Hashable] = []
        self.run_calls: list[Hashable] = []
        self.dag_release, self.run_release = asyncio.Event(), asyncio.Event()
        self.dags = _blocking_queue(self.dag_calls, self.dag_release, 1, "dags")
        self.runs = _blocking_queue(
            self.run_calls, self.run_release, run_workers, "runs", after=[self.dags]
        )

    async def start(self) -> None:
        self.dags.start()
        self.runs.start()
        for key in ("d1", "d2"):
            self.dags.add(key)
        await until(lambda: self.dag_calls == ["d1"])
        self.runs.add("r1")

    async def stop(self) -> None:
        self.dag_release.set()
        self.run_release.set()
        await self.dags.stop()
        await self.runs.stop()


def test_runs_wait_while_dag_syncs_are_waiting_for_a_worker() -> None:
    async def scenario() -> None:
        queues = DagsThenRuns(run_workers=2)
        await queues.start()
        await settle()
        assert queues.run_calls == []  # d2 waits for the DAG worker: r1 waits for d2
        queues.dag_release.set()
        await until(lambda: queues.dag_calls == ["d1", "d2"])
        await until(lambda: queues.run_calls == ["r1"])  # no DAG key waits any more
        await queues.stop()

    asyncio.run(scenario())


def test_a_dag_queue_that_never_drains_delays_runs_only_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("kairflow.controller.workqueue.YIELD_LIMIT", 0)

    async def scenario() -> None:
        queues = DagsThenRuns(run_workers=1)
        await queues.start()
        # d2 still waits (d1 is never released): r1 went after the limit.
        await until(lambda: queues.run_calls == ["r1"])
        assert queues.dags.depth() == 1
        await queues.stop()

    asyncio.run(scenario())
