"""Full collections wait while pods are created in bulk, and come back when the last
bulk create ends (`controller.collector`)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.api.dagrun import DagRunStatus
from kairflow.controller import planning
from kairflow.controller.collector import BULK, FullCollections
from kairflow.controller.run_pods import create_pods
from kairflow.core.run_model import CreatePod, Plan
from tests.unit.controller.harness import ControllerHarness
from tests.unit.controller.manifests import dag, run


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def test_a_bulk_create_holds_full_collections_and_gives_them_back() -> None:
    holds = FullCollections(bulk=100)
    with holds.held_for(100):
        young, middle, full = gc.get_threshold()
        assert (young, middle) == (700, 10)  # young and middle collections go on
        assert full >= 1_000_000
    assert gc.get_threshold() == (700, 10, 10)


def test_a_few_creates_hold_nothing() -> None:
    holds = FullCollections(bulk=100)
    with holds.held_for(99):
        assert gc.get_threshold() == (700, 10, 10)
    assert holds.holders == 0


def test_overlapping_bulk_creates_give_the_threshold_back_once_the_last_ends() -> None:
    holds = FullCollections(bulk=2)
    first, second = holds.held_for(5), holds.held_for(5)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] >= 1_000_000  # the second still creates
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_create_that_fails_gives_the_threshold_back() -> None:
    holds = FullCollections(bulk=1)
    with pytest.raises(RuntimeError), holds.held_for(3):
        raise RuntimeError("the API server is gone")
    assert gc.get_threshold() == (700, 10, 10) and holds.holders == 0


@pytest.mark.parametrize(
    ("pods", "held"),
    [
        pytest.param(BULK, True, id="a pass creating a bulk of pods holds full collections"),
        pytest.param(3, False, id="a pass creating three does not"),
    ],
)
def test_a_passes_creates_run_with_full_collections_held_when_they_are_a_bulk(
    pods: int, held: bool
) -> None:
    harness = ControllerHarness(datetime(2024, 1, 1, tzinfo=UTC))
    seen: list[int] = []
    create = harness.cluster.create_pod

    async def recording(namespace: str, manifest: dict[str, Any]) -> bool:
        seen.append(gc.get_threshold()[2])
        return await create(namespace, manifest)

    harness.cluster.create_pod = recording  # type: ignore[method-assign]
    manifests = [{"metadata": {"name": f"p{i}"}, "spec": {}} for i in range(pods)]
    creates = tuple(CreatePod(f"t{i}", m) for i, m in enumerate(manifests))
    result = Plan(actions=creates, status=DagRunStatus(), wake_at=None)
    try:
        assert asyncio.run(create_pods(harness.runtime, "ns", result)) == {}
    finally:
        harness.close()
    assert len(seen) == pods
    assert all((full >= 1_000_000) is held for full in seen)
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize(
    ("tasks", "held"),
    [
        pytest.param(BULK, True, id="the plan of a run of a bulk of tasks holds full collections"),
        pytest.param(3, False, id="the plan of a run of three does not"),
    ],
)
def test_a_big_runs_plan_runs_with_full_collections_held(
    monkeypatch: pytest.MonkeyPatch, tasks: int, held: bool
) -> None:
    harness = ControllerHarness(datetime(2024, 1, 1, tzinfo=UTC))
    seen: list[int] = []
    real = planning.plan

    def recording(*args: Any, **kw: Any) -> Plan:
        seen.append(gc.get_threshold()[2])
        return real(*args, **kw)

    monkeypatch.setattr(planning, "plan", recording)
    try:
        harness.apply("dags", dag(tasks=[{"name": f"t{i}", "bash": "true"} for i in range(tasks)]))
        harness.apply("dagruns", run("r1"))
        harness.sync_run("r1")  # its start: the DAG's snapshot, no plan
        harness.sync_run("r1")
    finally:
        harness.close()
    assert seen  # planned
    assert all((full >= 1_000_000) is held for full in seen)
    assert gc.get_threshold() == (700, 10, 10)
