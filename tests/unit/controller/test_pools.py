"""Pools on a fake cluster: a Pool object's slots limit the runs of its namespace,
an edit takes effect at the next pass without a restart, and its status shows its
counts, written only when they change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, pool, run

NOW = utc("2026-03-04T12:30:00Z")
WIDE = [{"name": f"t{i}", "bash": "true", "pool": "db"} for i in range(4)]


@pytest.fixture
def harness() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW, parallelism=16, pools={"db": 2})
    yield h
    h.close()


def pods(h: ControllerHarness) -> list[str]:
    return h.cluster.names("pods", NS)


def edit_slots(h: ControllerHarness, slots: int) -> None:
    body = h.cluster.objects[("pools", NS, "db")]
    h.apply("pools", {**body, "spec": {**body["spec"], "slots": slots}})


def test_a_pool_with_1_slot_runs_its_tasks_one_at_a_time(harness: ControllerHarness) -> None:
    harness.apply("pools", pool("db", 1))
    harness.apply("dags", dag(tasks=WIDE))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    assert pods(harness) == ["r1-t0-1"]
    assert harness.status("pools", "db") == {
        "slots": 1,
        "occupiedSlots": 1,
        "running": 1,
        "queued": 3,
        "openSlots": 0,
    }
    harness.pod_status("r1-t0-1", "Succeeded", 0)
    harness.settle()
    assert pods(harness) == ["r1-t0-1", "r1-t1-1"]
    assert harness.status("pools", "db")["queued"] == 2


def test_without_a_pool_object_the_operators_pool_applies(harness: ControllerHarness) -> None:
    harness.apply("dags", dag(tasks=WIDE))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    assert len(pods(harness)) == 2  # KAIRFLOW_POOLS db=2


def test_raising_a_pools_slots_starts_waiting_tasks_without_a_restart(
    harness: ControllerHarness,
) -> None:
    harness.apply("pools", pool("db", 1))
    harness.apply("dags", dag(tasks=WIDE))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    edit_slots(harness, 3)
    harness.settle()
    assert len(pods(harness)) == 3
    assert harness.status("pools", "db")["openSlots"] == 0
    assert harness.status("pools", "db")["running"] == 3


def test_a_pool_edited_down_keeps_its_running_tasks_and_admits_none(
    harness: ControllerHarness,
) -> None:
    harness.apply("pools", pool("db", 3))
    harness.apply("dags", dag(tasks=WIDE))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    edit_slots(harness, 1)
    harness.settle()
    harness.pod_status("r1-t0-1", "Succeeded", 0)
    harness.settle()
    assert len(pods(harness)) == 3, "2 still hold 2 slots of 1: nothing new starts"
    assert not harness.cluster.verbs("delete_pod")
    assert harness.status("pools", "db")["occupiedSlots"] == 2
    harness.pod_status("r1-t1-1", "Succeeded", 0)
    harness.pod_status("r1-t2-1", "Succeeded", 0)
    harness.settle()
    assert len(pods(harness)) == 4


def pool_writes(h: ControllerHarness) -> int:
    return sum(1 for _, plural, _ in h.cluster.verbs("replace_status") if plural == "pools")


def test_a_pools_status_is_written_only_when_its_counts_change(
    harness: ControllerHarness,
) -> None:
    harness.apply("pools", pool("db", 1))
    harness.apply("dags", dag(tasks=WIDE))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    assert pool_writes(harness) == 2, "its first counts, then one running and three queued"
    harness.sync_pool("db")
    harness.sync_run("r1")  # a pass that changes nothing
    harness.settle()
    assert pool_writes(harness) == 2
    harness.pod_status("r1-t0-1", "Succeeded", 0)
    harness.settle()
    assert pool_writes(harness) == 3, "one finished and the next started: one write"


def test_a_task_waiting_for_a_missing_pool_starts_once_the_pool_is_applied(
    harness: ControllerHarness,
) -> None:
    harness.apply("dags", dag(tasks=[{"name": "a", "bash": "true", "pool": "gpu"}]))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    ti = harness.status("dagruns", "r1")["taskInstances"]["a"]
    assert ti["message"] == "waiting: pool 'gpu' does not exist"
    harness.apply("pools", pool("gpu", 1))
    harness.settle()
    assert pods(harness) == ["r1-a-1"]


def test_a_deleted_pool_hands_its_tasks_to_the_operators_pool_of_that_name(
    harness: ControllerHarness,
) -> None:
    harness.apply("pools", pool("db", 1))
    harness.apply("dags", dag(tasks=WIDE))
    harness.apply("dagruns", run("r1"))
    harness.settle()
    harness.run(harness.cluster.delete(NS, "pools", "db"))
    harness.settle()
    assert len(pods(harness)) == 2  # KAIRFLOW_POOLS db=2
