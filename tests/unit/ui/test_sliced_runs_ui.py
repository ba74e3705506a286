"""A big run (its task instances in TaskInstanceSlices) on the pages: read whole with
the user's credentials, streamed whole to the grid (then only the cells a slice write
changed), and shown without a slice the user may not read, saying so."""

from __future__ import annotations

import asyncio
from typing import Any

from kairflow.core.task_instance_slices import slice_index, slice_name
from kairflow.ui.stream import Subscription, _follow, _Sent
from kairflow.ui.stream_slices import SlicedRuns
from tests.unit.ui.fake_user_api import NS, FakeUserApi, dagrun, refusing
from tests.unit.ui.ui_client import call

TASKS = [f"t{i}" for i in range(12)]
SLICES = 4
SPEC = {"tasks": [{"name": t, "bash": "true"} for t in TASKS]}
OF_DAG = "kairflow.io/dag=etl"


def ti(state: str = "success", tries: int = 1) -> dict[str, Any]:
    return {"state": state, "tryNumber": tries}


def big_run(name: str = "etl-1", slices: int = SLICES, **status: Any) -> dict[str, Any]:
    return dagrun(
        name,
        status={"state": "running", "taskInstanceSlices": slices, "dagSpec": SPEC, **status},
    )


def a_slice(
    index: int, run: str = "etl-1", slices: int = SLICES, **changed: dict[str, Any]
) -> dict[str, Any]:
    instances = {t: ti() for t in TASKS if slice_index(t, slices) == index}
    return {
        "metadata": {
            "name": slice_name(run, slices, index),
            "namespace": NS,
            "labels": {"kairflow.io/dag-run": run, "kairflow.io/dag": "etl"},
        },
        "spec": {"dagRun": run, "slices": slices, "index": index},
        "status": {"taskInstances": {**instances, **changed}},
    }


def cluster(refuse: set[str] | None = None, deleted: tuple[int, ...] = ()) -> FakeUserApi:
    api = FakeUserApi(refuse=refusing(refuse))
    api.add("dagruns", big_run())
    api.add("taskinstanceslices", *(a_slice(i) for i in range(SLICES) if i not in deleted))
    return api


def slice_calls(api: FakeUserApi) -> list[tuple[Any, ...]]:
    return [c[:3] for c in api.calls if c[1] == "taskinstanceslices"]


# Reads ------------------------------------------------------------------------------


def test_a_big_run_is_read_whole_with_one_list_of_its_slices() -> None:
    api = cluster()
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/etl-1")
    assert sorted(got.body["status"]["taskInstances"]) == sorted(TASKS)
    assert got.body["structure"] is not None
    assert slice_calls(api) == [("list", "taskinstanceslices", "kairflow.io/dag-run=etl-1")]


def test_a_user_refused_the_slices_sees_the_run_and_why_it_lacks_its_task_instances() -> None:
    api = cluster(refuse={"list taskinstanceslices"})
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/etl-1")
    assert got.status == 200
    status = got.body["status"]
    assert status["taskInstances"] == {}
    assert 'cannot list resource "taskinstanceslices"' in status["taskInstanceSlicesNote"]


def test_a_task_instance_is_read_from_the_one_slice_it_is_placed_in() -> None:
    api = cluster()
    key = TASKS[5]
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/etl-1/tis/{key}")
    assert got.body["instance"] == ti()
    assert slice_calls(api) == [("get", "taskinstanceslices")]


def test_a_task_instance_whose_slice_is_gone_is_not_found() -> None:
    key = TASKS[5]
    api = cluster(deleted=(slice_index(key, SLICES),))
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/etl-1/tis/{key}")
    assert got.status == 404


def test_the_log_of_a_big_runs_task_instance_is_found_from_its_slice() -> None:
    api = cluster()
    key = TASKS[3]
    api.logs[f"etl-1-{key}-1"] = [b"hello\n"]
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/etl-1/tis/{key}/log")
    assert (got.status, got.text) == (200, "hello\n")


def test_a_clear_preview_finds_the_failed_task_instance_in_its_slice() -> None:
    api = FakeUserApi()
    failed = TASKS[7]
    index = slice_index(failed, SLICES)
    api.add("dagruns", big_run())
    api.add(
        "taskinstanceslices",
        *(a_slice(i) for i in range(SLICES) if i != index),
        a_slice(index, **{failed: ti("failed", 2)}),
    )
    got = call(api, "POST", f"/api/ns/{NS}/dagruns/etl-1/clear/preview", {"onlyFailed": True})
    assert got.body["taskInstances"] == [
        {"key": failed, "task": failed, "state": "failed", "tryNumber": 2}
    ]


# The live page ----------------------------------------------------------------------


async def collect(queue: asyncio.Queue[Any], count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(queue.get(), 5) for _ in range(count)]


def dag_page(api: FakeUserApi) -> tuple[list[asyncio.Task[None]], asyncio.Queue[Any]]:
    """The DAG page's run and slice subscriptions, as `routes_read.stream` makes them."""
    out: asyncio.Queue[Any] = asyncio.Queue()
    sent = _Sent()
    runs = SlicedRuns(sent)
    subs = [Subscription("dagruns", label_selector=OF_DAG)]
    subs.append(Subscription("taskinstanceslices", label_selector=OF_DAG))
    tasks = [asyncio.create_task(_follow(api, NS, sub, sent, out, runs)) for sub in subs]
    return tasks, out


def test_the_page_first_paints_a_big_run_whole_then_gets_only_the_cells_a_slice_changed() -> None:
    async def scenario() -> None:
        api = cluster()
        tasks, out = dag_page(api)
        (reset,) = await collect(out, 1)
        assert reset["type"] == "reset"
        (item,) = reset["items"]
        assert sorted(item["tis"]) == sorted(TASKS) and item["tisComplete"] is True

        key = TASKS[2]
        changed = a_slice(slice_index(key, SLICES), **{key: ti("failed")})
        await api.queue("taskinstanceslices").put(("MODIFIED", changed))
        (upsert,) = await collect(out, 1)
        assert upsert["kind"] == "dagruns" and upsert["item"]["name"] == "etl-1"
        assert upsert["item"]["tis"] == {key: ["failed", 1, None, None, None]}
        assert upsert["item"]["tisComplete"] is False

        # The run's own change (its progress) sends no cell: the page keeps its own.
        await api.queue("dagruns").put(("MODIFIED", big_run(progress="11/12")))
        (run_change,) = await collect(out, 1)
        assert run_change["item"]["progress"] == "11/12"
        assert (run_change["item"]["tis"], run_change["item"]["tisComplete"]) == ({}, False)
        for task in tasks:
            task.cancel()

    asyncio.run(scenario())


def test_a_run_moving_to_more_slices_is_sent_whole_from_its_new_layout() -> None:
    async def scenario() -> None:
        api = cluster()
        tasks, out = dag_page(api)
        await collect(out, 1)
        key = TASKS[0]
        bigger = [a_slice(i, slices=8) for i in range(8)]
        moved = slice_index(key, 8)
        bigger[moved] = a_slice(moved, slices=8, **{key: ti("failed")})
        for body in bigger:  # written before the run names them: nothing shown changes
            await api.queue("taskinstanceslices").put(("ADDED", body))
        await api.queue("dagruns").put(("MODIFIED", big_run(slices=8)))
        (upsert,) = await collect(out, 1)
        assert upsert["item"]["tis"] == {key: ["failed", 1, None, None, None]}
        assert "tisMissing" not in upsert["item"]
        for task in tasks:
            task.cancel()

    asyncio.run(scenario())


def test_a_page_refused_the_slices_shows_the_run_and_says_why() -> None:
    async def scenario() -> None:
        api = cluster(refuse={"list taskinstanceslices"})
        tasks, out = dag_page(api)
        events = await collect(out, 2)
        (reset,) = [e for e in events if e["type"] == "reset"]
        (item,) = reset["items"]
        assert item["tis"] == {}
        assert 'cannot list resource "taskinstanceslices"' in item["tisMissing"]
        for task in tasks:
            task.cancel()

    asyncio.run(scenario())
