"""Syncs that interleave: a sync awaits (a render off the loop, an API call) and
another sync, a user's write or a watch event lands in between. Each test forces
one interleaving by running the other party inside that await: no threads, no
sleeps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiException

from kairflow.controller import dagrun_sync, planning
from kairflow.controller.dagrun_sync import sync_dagrun
from kairflow.k8s.writes import owner_reference
from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

NOW = utc("2026-03-04T12:30:00Z")


@pytest.fixture
def h() -> Iterator[ControllerHarness]:
    harness = ControllerHarness(NOW, parallelism=3)
    yield harness
    harness.close()


def once_during(
    monkeypatch: pytest.MonkeyPatch,
    module: object,
    name: str,
    meanwhile: Callable[[], Awaitable[None]],
    after: bool = False,
) -> None:
    """Run `meanwhile` once inside the await of `module.name` (before its work, or
    after it): where another worker's sync, a user's write or a watch event lands."""
    real = getattr(module, name)
    done = False

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal done
        if after:
            result = await real(*args, **kwargs)
        if not done:
            done = True
            await meanwhile()
        return result if after else await real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


def active(h: ControllerHarness) -> list[str]:
    """Task instances holding a slot, over every run in the cluster."""
    out = []
    for (plural, _, name), body in sorted(h.cluster.objects.items()):
        if plural != "dagruns" or (body.get("status") or {}).get("state") != "running":
            continue
        for key, ti in body["status"].get("taskInstances", {}).items():
            if ti.get("state") in ("queued", "running"):
                out.append(f"{name}.{key}")
    return out


def test_a_run_deleted_while_its_plan_renders_is_not_brought_back_into_the_cache(
    h: ControllerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    ab = [{"name": "a", "bash": "true"}, {"name": "b", "bash": "true", "dependsOn": ["a"]}]
    h.apply("dags", dag("one", tasks=ab))
    h.apply("dags", dag("two", tasks=[{"name": "x", "bash": "true"}]))
    h.apply("dagruns", run("r1", "one"))
    h.settle()
    h.pod_status("r1-a-1", "Succeeded", 0)
    h.queued()  # r1 is asked for; we sync it by hand below

    # `kubectl delete dagrun r1` (or its DAG's cascade) lands during the render.
    once_during(monkeypatch, planning, "off_loop", lambda: delete_run(h, "r1"))
    h.sync_run("r1")
    monkeypatch.undo()
    # Expected: the run is gone from the cache, as from the cluster.
    assert ("dagruns", NS, "r1") not in h.cluster.objects
    assert (NS, "r1") not in h.runtime.cache.runs, "deleted run resurrected in the cache"


async def delete_run(h: ControllerHarness, name: str) -> None:
    await h.cluster.delete(NS, "dagruns", name)
    h.deliver()


def test_a_run_deleted_while_its_plan_renders_gives_its_slot_to_another_dags_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = ControllerHarness(NOW, parallelism=1)
    try:
        ab = [{"name": "a", "bash": "true"}, {"name": "b", "bash": "true", "dependsOn": ["a"]}]
        h.apply("dags", dag("one", tasks=ab))
        h.apply("dags", dag("two", tasks=[{"name": "x", "bash": "true"}]))
        h.apply("dagruns", run("r1", "one"))
        h.settle()
        h.apply("dagruns", run("r2", "two"))
        h.settle()
        assert h.status("dagruns", "r2")["taskInstances"]["x"]["state"] == "scheduled"
        h.pod_status("r1-a-1", "Succeeded", 0)
        h.queued()
        once_during(monkeypatch, planning, "off_loop", lambda: delete_run(h, "r1"))
        h.sync_run("r1")
        monkeypatch.undo()
        # Everything the controller asked for, except the zombie's retries.
        asked = h.queued()
        asked["dagruns"] = [k for k in asked["dagruns"] if k != (NS, "r1")]
        for key in asked["dagruns"]:
            h.sync_run(key[1])
        # r1 is gone from the cluster; its slot should be r2's now.
        assert h.status("dagruns", "r2")["taskInstances"]["x"]["state"] == "queued"
    finally:
        h.close()


def test_folding_a_refused_pod_into_the_run_starts_nothing_past_parallelism(
    h: ControllerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DAG one: a >> [d1, d2, d3] (all_done); a's pod is refused for good.
    fan = [{"name": "a", "bash": "true"}] + [
        {"name": f"d{i}", "bash": "true", "dependsOn": ["a"], "triggerRule": "all_done"}
        for i in range(3)
    ]
    h.apply("dags", dag("one", tasks=fan))
    h.apply("dags", dag("two", tasks=[{"name": f"b{i}", "bash": "true"} for i in range(3)]))
    h.apply("dagruns", run("ra", "one"))
    h.apply("dagruns", run("rb", "two"))
    h.sync_run("ra")  # snapshots only
    h.sync_run("rb")
    h.deliver()
    h.queued()
    h.cluster.reject_pods["ra-a-1"] = "forbidden: service account"

    # rb's sync runs while ra's pass that folds the refusal renders (another worker).
    once_during(monkeypatch, dagrun_sync, "off_loop", lambda: sync_dagrun(h.runtime, (NS, "rb")))
    h.sync_run("ra")
    monkeypatch.undo()
    assert len(active(h)) <= 3, f"parallelism=3 but {active(h)} hold slots"


def test_a_queued_run_does_not_start_past_max_active_runs_when_an_older_run_came_meanwhile(
    h: ControllerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h.apply("dags", dag(maxActiveRuns=1))
    h.apply("dagruns", run("r2", logicalDate="2026-03-02T00:00:00Z"))
    h.sync_run("r2")  # snapshot
    h.deliver()
    h.queued()

    async def older_run_triggered() -> None:
        h.apply("dagruns", run("r0", logicalDate="2026-03-01T00:00:00Z"))
        await sync_dagrun(h.runtime, (NS, "r0"))  # its snapshot
        h.deliver()
        await sync_dagrun(h.runtime, (NS, "r0"))  # its first pass: it starts

    # A manual run for an earlier date is triggered while r2's plan renders.
    once_during(monkeypatch, planning, "off_loop", older_run_triggered)
    h.sync_run("r2")
    monkeypatch.undo()
    running = [n for n in ("r0", "r2") if h.status("dagruns", n).get("state") == "running"]
    assert len(running) <= 1, f"maxActiveRuns=1 but {running} are running"


def test_a_run_the_dag_just_made_waits_for_its_watch_event_before_its_first_sync(
    h: ControllerHarness,
) -> None:
    h.apply("dags", dag(schedule="@daily", startDate="2026-03-03", catchup=False))
    h.sync_dag("etl")
    (created,) = h.cluster.names("dagruns", NS)
    sent: list[str] = []
    put = h.cluster.replace_status

    async def recording(namespace: str, plural: str, body: dict[str, Any]) -> Any:
        sent.append(body["metadata"].get("resourceVersion"))
        if body["metadata"].get("resourceVersion") == "0":
            # kube-apiserver (Store.Update, CRDs do not allow unconditional updates):
            # 422 metadata.resourceVersion: Invalid value: 0x0: must be specified for an update
            raise ApiException(status=422, reason="Unprocessable Entity")
        return await put(namespace, plural, body)

    h.cluster.replace_status = recording  # type: ignore[method-assign]
    # The worker picks the run up before its ADDED watch event is delivered.
    h.sync_run(created)
    assert "0" not in sent


def test_a_run_held_off_by_a_claim_that_is_rolled_back_is_woken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = ControllerHarness(NOW, parallelism=1)
    try:
        h.apply("dags", dag("one", tasks=[{"name": "t", "bash": "true"}], paused=True))
        h.apply("dags", dag("two", tasks=[{"name": "x", "bash": "true"}]))
        h.apply("dagruns", run("ra", "one"))
        rb = run("rb", "two")
        # Owned by its DAG already (as runs the DAG makes are): no ownerReferences patch.
        rb["metadata"]["ownerReferences"] = [
            owner_reference(h.cluster.objects[("dags", NS, "two")])
        ]
        h.apply("dagruns", rb)
        h.sync_run("ra")  # snapshot
        h.deliver()
        h.sync_run("ra")  # queued: its DAG is paused (t initialized, state none)
        h.sync_run("rb")  # snapshot only
        h.deliver()
        assert h.status("dagruns", "ra")["state"] == "queued"
        h.apply("dags", dag("one", tasks=[{"name": "t", "bash": "true"}], paused=False))
        h.queued()

        async def mark_and_plan_rb() -> None:
            # A user marks ra's task success (so ra's status write gets a 409) ...
            mark = {"spec": {"mark": {"id": "m1", "tasks": ["t"], "state": "success"}}}
            await h.cluster.patch_spec(NS, "dagruns", "ra", mark)
            # ... and rb plans while ra's claim holds the only slot.
            await sync_dagrun(h.runtime, (NS, "rb"))

        once_during(monkeypatch, dagrun_sync, "create_pods", mark_and_plan_rb, after=True)
        h.sync_run("ra")  # claims t's slot, creates ra-t-1, then 409
        monkeypatch.undo()
        assert h.status("dagruns", "rb")["taskInstances"]["x"]["state"] == "scheduled"
        h.settle()
        assert h.status("dagruns", "ra")["state"] == "success"
        # Nothing holds the slot now: rb must have been woken and have started x.
        assert h.status("dagruns", "rb")["taskInstances"]["x"]["state"] == "queued"
    finally:
        h.close()
