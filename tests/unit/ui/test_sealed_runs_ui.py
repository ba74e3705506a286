"""A big mapped task's sealed instances on the pages: a task instance's panel reads
one from its block, a run is read whole with its blocks, and the live grid shows
their cells and follows their blocks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kairflow.core.task_instance_slices import slice_index, slice_name
from kairflow.ui.run_specs import task_instance
from kairflow.ui.stream import Subscription, _follow, _Sent
from kairflow.ui.stream_slices import SlicedRuns
from tests.unit.sealed_fixtures import SIZE, m, mi, record
from tests.unit.sealed_fixtures import block as sealed_block
from tests.unit.ui.fake_user_api import NS, FakeUserApi, dagrun
from tests.unit.ui.ui_client import call

RUN = "etl-1"
LABELS = {"kairflow.io/dag-run": RUN, "kairflow.io/dag": "etl"}


def own(running: int | None = None) -> dict[str, Any]:
    """`a`, task m's record (block 0 sealed) and m[4..7], m[`running`] running."""
    rest = {f"m[{i}]": mi(i, "running" if i == running else "success") for i in range(4, 8)}
    return {"a": {"state": "success", "tryNumber": 1}, "m": record(0), **rest}


def inline_run(running: int | None = None) -> dict[str, Any]:
    return dagrun(RUN, status={"state": "running", "taskInstances": own(running)})


def sliced_run() -> dict[str, Any]:
    return dagrun(RUN, status={"state": "running", "taskInstanceSlices": 4})


def slices() -> list[dict[str, Any]]:
    return [
        {
            "metadata": {"name": slice_name(RUN, 4, i), "namespace": NS, "labels": LABELS},
            "spec": {"dagRun": RUN, "slices": 4, "index": i},
            "status": {"taskInstances": {k: v for k, v in own().items() if slice_index(k, 4) == i}},
        }
        for i in range(4)
    ]


def block(failed: int | None = None) -> dict[str, Any]:
    held = {m(i): mi(i, "failed" if i == failed else "success") for i in range(SIZE)}
    return sealed_block(RUN, 0, NS, held=held)


def cluster(run: dict[str, Any], *listed: dict[str, Any]) -> FakeUserApi:
    api = FakeUserApi()
    api.add("dagruns", run)
    api.add("taskinstanceslices", *listed)
    return api


@pytest.mark.parametrize(
    ("api", "key", "found"),
    [
        pytest.param(
            cluster(inline_run(), block()),
            "m[1]",
            mi(1),
            id="a sealed instance of an inline run is read from its block",
        ),
        pytest.param(
            cluster(sliced_run(), *slices(), block()),
            "m[2]",
            mi(2),
            id="a sealed instance of a sliced run is read from the block its record names",
        ),
        pytest.param(
            cluster(inline_run(), block()),
            "m[5]",
            mi(5),
            id="an instance not sealed is read where the run's layout places it",
        ),
        pytest.param(
            cluster(inline_run()),
            "m[1]",
            None,
            id="a sealed instance whose block is gone is not found",
        ),
        pytest.param(
            cluster(inline_run(), block()),
            "m[9]",
            None,
            id="an index in no sealed block that the run does not hold is not found",
        ),
    ],
)
def test_a_task_instance_is_read_from_where_it_is_kept(
    api: FakeUserApi, key: str, found: dict[str, Any] | None
) -> None:
    async def read() -> dict[str, Any] | None:
        return await task_instance(api, await api.get("dagruns", NS, RUN), key)

    assert asyncio.run(read()) == found


def test_a_sealed_instances_panel_is_served_from_its_block() -> None:
    api = cluster(inline_run(), block(failed=3))
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/{RUN}/tis/m%5B3%5D")
    assert (got.status, got.body["instance"]) == (200, mi(3, "failed"))


def test_an_inline_run_naming_a_block_is_read_whole_with_it() -> None:
    api = cluster(inline_run(), block())
    got = call(api, "GET", f"/api/ns/{NS}/dagruns/{RUN}")
    tis = got.body["status"]["taskInstances"]
    assert sorted(tis) == sorted(["a", *(f"m[{i}]" for i in range(8))])
    lists = [c[:3] for c in api.calls if c[1] == "taskinstanceslices"]
    assert lists == [("list", "taskinstanceslices", f"kairflow.io/dag-run={RUN}")]


# The live page ----------------------------------------------------------------------


def test_the_grid_shows_sealed_cells_and_follows_their_block_and_the_run() -> None:
    async def scenario() -> None:
        api = cluster(inline_run(), block())
        out: asyncio.Queue[Any] = asyncio.Queue()
        sent = _Sent()
        runs = SlicedRuns(sent)
        subs = [
            Subscription(kind, label_selector="kairflow.io/dag=etl")
            for kind in ("dagruns", "taskinstanceslices")
        ]
        tasks = [asyncio.create_task(_follow(api, NS, sub, sent, out, runs)) for sub in subs]

        async def next_item() -> dict[str, Any]:
            event = await asyncio.wait_for(out.get(), 5)
            return event["items"][0] if event["type"] == "reset" else event["item"]

        first = await next_item()
        assert sorted(first["tis"]) == sorted(["a", *(f"m[{i}]" for i in range(8))])

        await api.queue("taskinstanceslices").put(("MODIFIED", block(failed=1)))
        assert (await next_item())["tis"] == {"m[1]": ["failed", 1, None, None, None]}

        # The run's own write sends the cell it changed, not its block's again.
        await api.queue("dagruns").put(("MODIFIED", inline_run(running=6)))
        run_change = await next_item()
        assert run_change["tis"] == {"m[6]": ["running", 1, None, None, None]}
        assert run_change["tisRemoved"] == [] and "tisMissing" not in run_change
        for task in tasks:
            task.cancel()

    asyncio.run(scenario())
