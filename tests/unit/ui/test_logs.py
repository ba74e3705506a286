"""A task instance's log in the UI: which try's pod it reads, the bounded wait for a
Pending pod before following, and what the page is told when there is no log.

The route runs on aiohttp's test server with a fake of the user's API access; waits
run on a fake clock and a sleep that only counts (never sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest

from kairflow.ui import logs
from kairflow.ui.kube import ApiError
from kairflow.ui.logs import log_target, wait_started, waiting_reason
from tests.unit.ui.fake_user_api import NS, FakeUserApi
from tests.unit.ui.ui_client import call

RUN = "etl-manual-1"
RUNNING = {"load": {"state": "running", "tryNumber": 1, "pod": "p-1"}}


def _ti(**fields: Any) -> dict[str, Any]:
    return {"state": "success", "tryNumber": 2, "pod": "etl-manual-1-load-2-abc", **fields}


@pytest.mark.parametrize(
    ("raw", "asked", "expected"),
    [
        pytest.param(
            _ti(), None, (2, "etl-manual-1-load-2-abc"), id="no try asked reads the latest"
        ),
        pytest.param(_ti(), "1", (1, "etl-manual-1-load-1"), id="an earlier try's pod by its name"),
        pytest.param(
            _ti(), "2", (2, "etl-manual-1-load-2-abc"), id="the latest try asked by number"
        ),
    ],
)
def test_the_asked_try_and_its_pod(raw: dict[str, Any], asked: str | None, expected: Any) -> None:
    target = log_target(RUN, "load", raw, asked)
    assert (target.try_number, target.pod) == expected


@pytest.mark.parametrize(
    ("raw", "asked", "status", "words"),
    [
        pytest.param(None, None, 404, "has no task instance load", id="an unknown task instance"),
        pytest.param(
            {"state": "upstream_failed", "message": "upstream extract failed"},
            None,
            404,
            "has not run yet (state upstream_failed: upstream extract failed)",
            id="an instance that never ran says why",
        ),
        pytest.param(_ti(), "3", 404, "has had 2 tries; there is no try 3", id="a try beyond"),
        pytest.param(_ti(), "0", 404, "there is no try 0", id="try zero"),
        pytest.param(_ti(), "last", 400, "try must be a number", id="a try that is no number"),
    ],
)
def test_no_log_says_why(raw: Any, asked: str | None, status: int, words: str) -> None:
    with pytest.raises(ApiError) as caught:
        log_target(RUN, "load", raw, asked)
    assert caught.value.status == status
    assert words in caught.value.message


def _pod(phase: str, waiting: str | None = None, unscheduled: str | None = None) -> Any:
    containers = []
    if waiting:
        reason, _, message = waiting.partition(": ")
        state = SimpleNamespace(waiting=SimpleNamespace(reason=reason, message=message or None))
        containers.append(SimpleNamespace(state=state))
    conditions = []
    if unscheduled:
        conditions.append(
            SimpleNamespace(type="PodScheduled", status="False", message=unscheduled, reason="")
        )
    status = SimpleNamespace(phase=phase, container_statuses=containers, conditions=conditions)
    return SimpleNamespace(status=status)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _reader(pods: list[Any]) -> Callable[[], Awaitable[Any]]:
    async def read() -> Any:
        return pods.pop(0) if len(pods) > 1 else pods[0]

    return read


@pytest.mark.parametrize(
    ("pods", "expected", "slept"),
    [
        pytest.param([_pod("Running")], None, [], id="a running pod is followed at once"),
        pytest.param([_pod("Succeeded")], None, [], id="a finished pod is read at once"),
        pytest.param(
            [_pod("Pending"), _pod("Pending"), _pod("Running")],
            None,
            [1.0, 1.0],
            id="a pending pod is waited for until it runs",
        ),
        pytest.param(
            [_pod("Pending", waiting="ImagePullBackOff: Back-off pulling image busybox:nope")],
            "ImagePullBackOff: Back-off pulling image busybox:nope",
            [1.0] * 5,
            id="a pod pending past the bound says its container's reason",
        ),
        pytest.param(
            [_pod("Pending", unscheduled="0/1 nodes are available: 1 Insufficient cpu.")],
            "0/1 nodes are available: 1 Insufficient cpu.",
            [1.0] * 5,
            id="a pod no node fits says the scheduler's word",
        ),
        pytest.param([_pod("Pending")], "Pending", [1.0] * 5, id="a pending pod with no reason"),
    ],
)
def test_waiting_for_a_pending_pod(
    pods: list[Any], expected: str | None, slept: list[float]
) -> None:
    clock = FakeClock()
    why = asyncio.run(
        wait_started(_reader(pods), timeout=5, interval=1.0, sleep=clock.sleep, clock=clock.time)
    )
    assert why == expected
    assert clock.slept == slept


def test_a_pod_without_status_has_no_reason() -> None:
    assert waiting_reason(SimpleNamespace(status=None)) == ""


def _cluster(phases: list[str], chunks: list[bytes | ApiError]) -> FakeUserApi:
    """One run whose load task runs in pod p-1: the pod's phases (one a read) and log."""
    api = FakeUserApi()
    api.add("dagruns", {"metadata": {"name": RUN}, "status": {"taskInstances": RUNNING}})
    if phases:
        api.pods["p-1"] = [_pod(phase) for phase in phases]
    if chunks:
        api.logs["p-1"] = chunks
    return api


def _followed(api: FakeUserApi) -> list[tuple[Any, ...]]:
    return [c[1:] for c in api.calls if c[0] == "log"]


LOG = f"/api/ns/{NS}/dagruns/{RUN}/tis/load/log"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "POLL", 0.0)
    monkeypatch.setattr(logs, "START_WAIT", 0.0)


def test_following_a_running_try_streams_its_log() -> None:
    api = _cluster(["Running"], [b"step 1\n", b"step 2\n"])
    got = call(api, "GET", f"{LOG}?follow=1")
    assert (got.status, got.text) == (200, "step 1\nstep 2\n")
    assert _followed(api) == [("p-1", True)]


def test_a_pod_still_pending_is_a_conflict_that_says_why() -> None:
    api = _cluster(["Pending"], [])
    got = call(api, "GET", f"{LOG}?follow=1")
    assert got.status == 409
    assert "load try 1 has not started yet (Pending)" in got.text
    assert _followed(api) == []


def test_the_pod_of_an_old_try_that_was_cleaned_up_is_gone() -> None:
    got = call(_cluster([], []), "GET", LOG)
    assert got.status == 404
    assert "the pod p-1 of load try 1 no longer exists" in got.text


def test_a_container_not_started_yet_is_a_conflict() -> None:
    waiting = ApiError(400, 'container "base" is waiting to start: ContainerCreating')
    got = call(_cluster(["Running"], [waiting]), "GET", LOG)
    assert got.status == 409
    assert "ContainerCreating" in got.text


def test_a_stream_that_breaks_ends_with_the_reason() -> None:
    broken = ApiError(502, "the log stream broke: connection reset")
    got = call(_cluster(["Running"], [b"step 1\n", broken]), "GET", LOG)
    assert (got.status, got.text) == (200, "step 1\n\n[the log stream broke: connection reset]\n")
