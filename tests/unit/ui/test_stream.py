"""Live pages: list then watch, deltas of grid cells, relist on 410, refusals shown."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from kairflow.ui import stream
from kairflow.ui.auth import KubeconfigAuth
from kairflow.ui.kube import ApiError
from kairflow.ui.stream import Subscription, _follow, _Sent
from tests.unit.ui.fake_user_api import EXPIRED, FakeUserApi
from tests.unit.ui.ui_client import signed_in, with_ui


def run_body(name: str, **tis: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"kairflow.io/dag": "etl"}},
        "spec": {"dagName": "etl"},
        "status": {
            "state": "running",
            "taskInstances": {key: {"state": state, "tryNumber": 1} for key, state in tis.items()},
        },
    }


async def collect(queue: asyncio.Queue[Any], count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(queue.get(), 5) for _ in range(count)]


def follow_in_background(api: FakeUserApi, sub: Subscription) -> tuple[asyncio.Task[None], Any]:
    out: asyncio.Queue[Any] = asyncio.Queue()
    task = asyncio.create_task(_follow(api, "default", sub, _Sent(), out))
    return task, out


def test_a_page_gets_the_list_then_only_the_cells_that_changed() -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        api.add("dagruns", run_body("etl-1", extract="success", load="running"))
        task, out = follow_in_background(api, Subscription("dagruns"))
        (reset,) = await collect(out, 1)
        assert reset["type"] == "reset"
        assert reset["items"][0]["tis"]["load"][0] == "running"
        assert reset["items"][0]["tisComplete"] is True

        changed = run_body("etl-1", extract="success", load="success")
        await api.queue("dagruns").put(("MODIFIED", changed))
        (upsert,) = await collect(out, 1)
        assert upsert["type"] == "upsert"
        assert upsert["item"]["tis"] == {"load": ["success", 1, None, None, None]}
        assert upsert["item"]["tisComplete"] is False
        task.cancel()

    asyncio.run(scenario())


def test_a_task_instance_that_disappears_is_sent_as_removed() -> None:
    sent = _Sent()
    sent.delta({"name": "r", "tis": {"a": ["success"], "b": ["failed"]}}, reset=True)
    delta = sent.delta({"name": "r", "tis": {"a": ["success"]}}, reset=False)
    assert delta["tis"] == {}
    assert delta["tisRemoved"] == ["b"]


def test_a_deleted_run_is_sent_as_a_delete() -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        api.add("dagruns", run_body("etl-1", extract="success"))
        task, out = follow_in_background(api, Subscription("dagruns"))
        await collect(out, 1)
        await api.queue("dagruns").put(("DELETED", run_body("etl-1")))
        (event,) = await collect(out, 1)
        assert event == {"type": "delete", "kind": "dagruns", "name": "etl-1"}
        task.cancel()

    asyncio.run(scenario())


def test_an_expired_watch_lists_again_and_the_page_gets_a_fresh_reset() -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        api.add("dags", {"metadata": {"name": "etl"}, "spec": {}})
        task, out = follow_in_background(api, Subscription("dags"))
        await collect(out, 1)
        await api.queue("dags").put(("ERROR", EXPIRED))
        (again,) = await collect(out, 1)
        assert again["type"] == "reset"
        assert [item["name"] for item in again["items"]] == ["etl"]
        task.cancel()

    asyncio.run(scenario())


def test_a_watch_that_ends_is_resumed_from_the_last_version_seen() -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        task, out = follow_in_background(api, Subscription("dags"))
        await collect(out, 1)
        body = {"metadata": {"name": "etl", "resourceVersion": "555"}, "spec": {}}
        await api.queue("dags").put(("ADDED", body))
        await collect(out, 1)
        await api.queue("dags").put(None)  # the API server's watch timeout
        await api.queue("dags").put(("MODIFIED", body))
        await collect(out, 1)
        watches = [call for call in api.calls if call[0] == "watch"]
        assert watches[-1] == ("watch", "dags", "555")
        task.cancel()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(403, id="a user RBAC does not let list runs sees why, once"),
        pytest.param(401, id="an expired token is reported, not retried"),
    ],
)
def test_a_refusal_is_shown_and_not_retried(status: int) -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        message = 'dagruns.kairflow.io is forbidden: User "ann" cannot list resource "dagruns"'
        api.refuse["list dagruns"] = ApiError(status, message)
        task, out = follow_in_background(api, Subscription("dagruns"))
        (event,) = await collect(out, 1)
        assert event == {"type": "error", "kind": "dagruns", "status": status, "message": message}
        await asyncio.wait_for(task, 5)  # it ended by itself
        assert api.calls.count(("list", "dagruns", None, None)) == 1

    asyncio.run(scenario())


def test_an_unreachable_api_server_is_retried_and_the_page_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        api.refuse["list dags"] = ApiError(502, "cannot reach the Kubernetes API")
        pauses: list[float] = []

        async def no_wait(seconds: float) -> None:
            pauses.append(seconds)
            api.refuse.clear()  # the API server is back

        monkeypatch.setattr(stream, "_pause", no_wait)
        task, out = follow_in_background(api, Subscription("dags"))
        error, reset = await collect(out, 2)
        assert error["type"] == "error"
        assert reset["type"] == "reset"
        assert pauses == [1.0]
        task.cancel()

    asyncio.run(scenario())


def test_the_dag_page_keeps_only_its_own_backfills() -> None:
    async def scenario() -> None:
        api = FakeUserApi()
        api.add("backfills", {"metadata": {"name": "b1"}, "spec": {"dagName": "etl"}})
        api.add("backfills", {"metadata": {"name": "b2"}, "spec": {"dagName": "other"}})
        keep = Subscription("backfills", keep=lambda body: body["spec"].get("dagName") == "etl")
        task, out = follow_in_background(api, keep)
        (reset,) = await collect(out, 1)
        assert [item["name"] for item in reset["items"]] == ["b1"]
        task.cancel()

    asyncio.run(scenario())


def test_the_dag_page_asks_the_api_server_for_its_dag_only() -> None:
    """Not every DAG of the namespace (each with its whole spec) to keep one."""

    async def scenario() -> None:
        api = FakeUserApi()
        api.add("dags", {"metadata": {"name": "etl"}}, {"metadata": {"name": "other"}})
        one = Subscription("dags", field_selector="metadata.name=etl")
        task, out = follow_in_background(api, one)
        (reset,) = await collect(out, 1)
        assert [item["name"] for item in reset["items"]] == ["etl"]
        assert ("list", "dags", None, "metadata.name=etl") in api.calls
        task.cancel()

    asyncio.run(scenario())


def test_open_pages_are_let_go_when_the_server_stops() -> None:
    """A pod's SIGTERM is not held for a minute by browsers that never disconnect."""

    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        await signed_in(client, auth)
        page = await client.get("/api/ns/default/stream")
        first = await asyncio.wait_for(page.content.readline(), 5)
        assert first.startswith(b"data: ") and b'"reset"' in first
        await client.server.app.shutdown()  # what runner.cleanup() does before waiting
        rest = await asyncio.wait_for(page.content.read(), 5)
        assert b"heartbeat" not in rest  # ended, not kept alive
        assert page.content.at_eof()

    with_ui(scenario)
