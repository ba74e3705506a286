"""The supervisor around kopf: whatever ends a kopf run unasked (an error, a plain
return, a shutdown that hangs), a new run starts; a stop request ends it all in
bounded time. kopf itself is played here; the real one is exercised against the
real apiserver by the integration tests, incl. a kube-apiserver restart."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import pytest

from kairflow.controller import supervisor
from kairflow.controller.settings import OperatorSettings
from tests.integration.kube import wait_for

SETTINGS = OperatorSettings(metrics_port=0, liveness_port=0)


async def swallow_cancellation_forever() -> None:
    """What kopf's watcher did: a cancellation is swallowed, then it waits forever."""
    while True:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)


class FakeKopf:
    """Plays kopf.operator: each run ends as the next item of `endings` says; once
    they are used up, a run serves until its stop flag is set."""

    def __init__(self, endings: list[str]) -> None:
        self.endings = endings
        self.runs = 0
        self.threads: list[threading.Thread] = []

    async def operator(
        self, *, stop_flag: asyncio.Event, ready_flag: threading.Event, memo: Any, **_: Any
    ) -> None:
        self.runs += 1
        self.threads.append(threading.current_thread())
        ready_flag.set()
        ending = self.endings.pop(0) if self.endings else "serve"
        if ending == "raise":
            memo.on_ending()
            raise RuntimeError("404 page not found")
        if ending == "return":
            memo.on_ending()
            return
        if ending == "hang":  # a watch failed, and the shutdown hangs
            memo.on_ending()
            await swallow_cancellation_forever()
        await stop_flag.wait()
        memo.on_ending()
        if ending == "hang-on-stop":
            await swallow_cancellation_forever()


@pytest.fixture
def fake_kopf(monkeypatch: pytest.MonkeyPatch) -> FakeKopf:
    fake = FakeKopf([])
    monkeypatch.setattr(supervisor.kopf, "operator", fake.operator)
    monkeypatch.setattr(supervisor, "RESTART_DELAY", 0.0)
    monkeypatch.setattr(supervisor, "SHUTDOWN_GRACE", 0.5)
    return fake


def test_a_new_kopf_run_starts_whenever_one_ends_unasked(fake_kopf: FakeKopf) -> None:
    fake_kopf.endings[:] = ["raise", "return", "hang", "raise"]
    operator = supervisor.OperatorThread(SETTINGS).start()
    assert operator.ready.wait(10)
    wait_for(lambda: fake_kopf.runs >= 5, timeout=10, what="the 5th kopf run")
    assert not operator.join(0.3), "serving until asked to stop"
    assert fake_kopf.runs == 5
    assert len(set(fake_kopf.threads)) == 5, "every run on a thread of its own"
    assert fake_kopf.threads[2].is_alive(), "the hung run was abandoned, not waited for"
    operator.stop()
    assert operator.join(10), "a stop request ends the operator"
    assert operator.error is None
    assert fake_kopf.runs == 5


def test_a_stop_ends_the_operator_even_when_kopf_hangs_in_its_shutdown(
    fake_kopf: FakeKopf,
) -> None:
    fake_kopf.endings[:] = ["hang-on-stop"]
    operator = supervisor.OperatorThread(SETTINGS).start()
    assert operator.ready.wait(10)
    operator.stop()
    assert operator.join(10)
    assert operator.error is None
    assert fake_kopf.runs == 1


def test_runs_that_keep_failing_are_restarted_ever_more_slowly(
    fake_kopf: FakeKopf, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(supervisor, "RESTART_DELAY", 1.0)
    monkeypatch.setattr(supervisor, "MAX_RESTART_DELAY", 4.0)
    fake_kopf.endings[:] = ["raise"] * 5
    operator = supervisor.OperatorThread(SETTINGS)
    real_wait = operator._stop.wait

    def record(timeout: float | None = None) -> bool:
        waits.append(timeout or 0.0)
        return real_wait(0)  # no real waiting in a unit test

    monkeypatch.setattr(operator._stop, "wait", record)
    operator.start()
    wait_for(lambda: fake_kopf.runs >= 6, timeout=10, what="the 6th kopf run")
    operator.stop()
    assert operator.join(10)
    assert waits == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_stop_right_after_start_is_not_lost(fake_kopf: FakeKopf) -> None:
    operator = supervisor.OperatorThread(SETTINGS).start()
    operator.stop()
    assert operator.join(10)
    assert operator.error is None
    assert fake_kopf.runs <= 1
