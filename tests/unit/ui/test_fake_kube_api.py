"""The fake Kubernetes API the UI's benchmarks and fast browser tests run against
(bench/fake_kube_api.py) answers the UI's own client as the API server would: lists
with selectors, watches from a version (410 Gone when too old), pods and logs; and
the UI's live stream works over it (a run, then only the cell that changed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from bench import fake_kube_api, synthetic
from bench.fake_kube_api import FakeApi
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient

from kairflow.ui.auth import TokenAuth
from kairflow.ui.kube import ApiError, UserApi
from kairflow.ui.server import make_app
from tests.unit.ui.fake_user_api import EXPIRED, FakeUserApi

NS = "bench"
WAIT = 10


def _fake(tasks: int = 20, runs: int = 3) -> tuple[FakeApi, list[str]]:
    fake = FakeApi()
    dag, bodies = synthetic.grid(NS, "big", tasks, runs)
    other, others = synthetic.grid(NS, "small", 2, 1)
    for body in [dag, *bodies, other, *others]:
        fake.put(body)
    return fake, [b["metadata"]["name"] for b in bodies]


def _serve(fake: FakeApi, test: Callable[[UserApi, str], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        runner, port = await fake_kube_api.start(fake)
        configuration = client.Configuration()
        configuration.host = f"http://127.0.0.1:{port}"
        api = UserApi(ApiClient(configuration))
        try:
            return await asyncio.wait_for(test(api, configuration.host), WAIT)
        finally:
            await api.close()
            await runner.cleanup()

    return asyncio.run(go())


def test_a_list_keeps_to_its_label_selector() -> None:
    fake, runs = _fake()

    async def test(api: UserApi, _host: str) -> list[str]:
        listed = await api.list_objects("dagruns", NS, "kairflow.io/dag=big")
        return [item["metadata"]["name"] for item in listed["items"]]

    assert _serve(fake, test) == runs


def test_a_watch_sends_changes_after_the_listed_version() -> None:
    fake, runs = _fake()

    async def test(api: UserApi, _host: str) -> tuple[str, str]:
        listed = await api.list_objects("dagruns", NS, "kairflow.io/dag=big")
        version = listed["metadata"]["resourceVersion"]
        fake.set_states(NS, runs[0], {"stage_00.task_00001": "failed"})
        async for event_type, body in api.watch("dagruns", NS, version, "kairflow.io/dag=big"):
            return event_type, body["status"]["taskInstances"]["stage_00.task_00001"]["state"]
        raise AssertionError("the watch ended")

    assert _serve(fake, test) == ("MODIFIED", "failed")


def test_a_watch_from_a_version_past_the_history_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake_kube_api, "HISTORY", 5)
    fake, runs = _fake()
    for state in ["failed", "success"] * 3:
        fake.set_states(NS, runs[0], {"stage_00.task_00001": state})

    async def test(api: Any, _host: str) -> tuple[int, str, str]:
        with pytest.raises(ApiError) as caught:
            async for _ in api.watch("dagruns", NS, "1"):
                pass
        return caught.value.status, caught.value.message, caught.value.reason

    real = _serve(fake, test)
    assert real[0] == 410
    # The unit tests' fake of UserApi, sent the same Status, raises the same error.
    unit_fake = FakeUserApi()
    unit_fake.queue("dagruns").put_nowait(("ERROR", EXPIRED))
    assert asyncio.run(test(unit_fake, "")) == real


def test_the_log_of_a_running_try_is_followed_until_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fake_kube_api, "LOG_TICK", 0.0)
    fake, runs = _fake()
    key = "stage_00.task_00012"  # the newest run's running instances come after half
    pod = fake.objects[(NS, "dagruns")][runs[-1]]["status"]["taskInstances"][key]["pod"]

    async def test(api: UserApi, _host: str) -> list[str]:
        phase = (await api.read_pod(NS, pod)).status.phase
        lines = [phase]
        async for chunk in api.pod_log(NS, pod, follow=True):
            lines += chunk.decode().splitlines()
            if len(lines) == 4:
                fake.set_states(NS, runs[-1], {key: "success"})
        return [lines[0], lines[1], lines[2], lines[-1]]

    assert _serve(fake, test) == [
        "Running",
        f"[{runs[-1]}] {key} try 1",
        "working... step 1",
        "done: success",
    ]


async def _messages(response: Any) -> Any:
    """Each server-sent event's data, parsed."""
    while True:
        line = await response.content.readline()
        if line.startswith(b"data: "):
            yield json.loads(line[6:])


async def _first(messages: Any, kind: str, event_type: str) -> dict[str, Any]:
    """The first event of `kind` and `event_type` (the page's other kinds, its DAG and
    backfills, are listed in between, in no set order)."""
    async for batch in messages:
        for event in batch:
            if (event["kind"], event["type"]) == (kind, event_type):
                return dict(event)
    raise AssertionError("the stream ended")


def test_the_ui_stream_sends_the_runs_then_only_the_changed_cell() -> None:
    fake, runs = _fake()

    async def test(_api: UserApi, host: str) -> tuple[int, int, dict[str, Any]]:
        auth = TokenAuth(host, None)
        async with TestClient(TestServer(make_app(auth, NS))) as ui:
            response = await ui.get(
                f"/api/ns/{NS}/stream?dag=big", headers={"Authorization": "Bearer someone"}
            )
            messages = _messages(response)
            items = (await _first(messages, "dagruns", "reset"))["items"]
            fake.set_states(NS, runs[-1], {"stage_00.task_00019": "failed"})
            changed = (await _first(messages, "dagruns", "upsert"))["item"]
            return len(items), len(items[0]["tis"]), changed

    count, cells, changed = _serve(fake, test)
    assert (count, cells) == (3, 20 + synthetic.MAPPED_COUNT)
    assert changed["name"] == runs[-1]
    assert changed["tisComplete"] is False
    assert list(changed["tis"]) == ["stage_00.task_00019"]
    assert changed["tis"]["stage_00.task_00019"][0] == "failed"


def test_the_log_of_a_pod_that_is_gone_is_an_error_not_a_log() -> None:
    fake, runs = _fake()
    pod = fake.objects[(NS, "dagruns")][runs[0]]["status"]["taskInstances"]["stage_00.task_00001"]
    fake.gone_pods_before = 0  # every pod was cleaned up

    async def test(api: UserApi, _host: str) -> tuple[int, str]:
        with pytest.raises(ApiError) as caught:
            async for _ in api.pod_log(NS, pod["pod"], follow=False):
                pass
        return caught.value.status, caught.value.message

    assert _serve(fake, test) == (404, f'pods "{pod["pod"]}" not found')
