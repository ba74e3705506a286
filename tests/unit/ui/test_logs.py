"""A task instance's log in the UI: which try's pod it reads, the bounded wait for a
Pending pod before following, and what the page is told when there is no log.

The route runs on aiohttp's test server with a fake of the user's API access; waits
run on a fake clock and a sleep that only counts (never sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kairflow.ui import logs
from kairflow.ui.auth import Session
from kairflow.ui.kube import ApiError
from kairflow.ui.logs import log_target, wait_started, waiting_reason
from kairflow.ui.server import make_app

RUN = "etl-manual-1"


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


class FakeApi:
    """The user's API access: one run, its pods' phases (in order) and logs."""

    def __init__(
        self, tis: dict[str, Any], phases: list[str], chunks: list[bytes | Exception]
    ) -> None:
        self.tis = tis
        self.phases = phases
        self.chunks = chunks
        self.followed: list[tuple[str, bool]] = []

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if name != RUN:
            raise ApiError(404, f'dagruns "{name}" not found')
        return {"status": {"taskInstances": self.tis}}

    async def read_pod(self, namespace: str, pod: str) -> Any:
        if not self.phases:
            raise ApiError(404, f'pods "{pod}" not found')
        return _pod(self.phases.pop(0) if len(self.phases) > 1 else self.phases[0])

    async def pod_log(self, namespace: str, pod: str, *, follow: bool) -> AsyncGenerator[bytes]:
        self.followed.append((pod, follow))
        for chunk in self.chunks:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk

    async def close(self) -> None:
        pass


class FakeAuth:
    mode = "token"
    secret = b"s" * 32

    def __init__(self, api: FakeApi) -> None:
        self.api = api

    async def session(self, request: web.Request) -> Session:
        return Session(identity="someone", api=self.api)  # type: ignore[arg-type]

    async def login(self, request: web.Request, response: web.StreamResponse) -> bool:
        return False

    async def close(self) -> None:
        pass


def _get(api: FakeApi, path: str) -> tuple[int, str]:
    async def go() -> tuple[int, str]:
        async with TestClient(TestServer(make_app(FakeAuth(api), "ns"))) as client:
            response = await client.get(path)
            return response.status, await response.text()

    return asyncio.run(go())


LOG = f"/api/ns/ns/dagruns/{RUN}/tis/load/log"
RUNNING = {"load": {"state": "running", "tryNumber": 1, "pod": "p-1"}}


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "POLL", 0.0)
    monkeypatch.setattr(logs, "START_WAIT", 0.0)


def test_following_a_running_try_streams_its_log() -> None:
    api = FakeApi(RUNNING, ["Running"], [b"step 1\n", b"step 2\n"])
    assert _get(api, f"{LOG}?follow=1") == (200, "step 1\nstep 2\n")
    assert api.followed == [("p-1", True)]


def test_a_pod_still_pending_is_a_conflict_that_says_why() -> None:
    api = FakeApi(RUNNING, ["Pending"], [])
    status, body = _get(api, f"{LOG}?follow=1")
    assert status == 409
    assert "load try 1 has not started yet (Pending)" in body
    assert api.followed == []


def test_the_pod_of_an_old_try_that_was_cleaned_up_is_gone() -> None:
    api = FakeApi(RUNNING, [], [ApiError(404, 'pods "p-1" not found')])
    status, body = _get(api, LOG)
    assert status == 404
    assert "the pod p-1 of load try 1 no longer exists" in body


def test_a_container_not_started_yet_is_a_conflict() -> None:
    waiting = ApiError(400, 'container "base" is waiting to start: ContainerCreating')
    status, body = _get(FakeApi(RUNNING, ["Running"], [waiting]), LOG)
    assert status == 409
    assert "ContainerCreating" in body


def test_a_stream_that_breaks_ends_with_the_reason() -> None:
    broken = ApiError(502, "the log stream broke: connection reset")
    api = FakeApi(RUNNING, ["Running"], [b"step 1\n", broken])
    assert _get(api, LOG) == (200, "step 1\n\n[the log stream broke: connection reset]\n")
