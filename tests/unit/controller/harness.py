"""A controller on a fake cluster and a fake clock: syncs run for real, the API
layer is `FakeCluster`, the work queues record what they are asked, and watch
events are delivered when the test says so. No threads of our own, no sleeps."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from kairflow.controller import informers
from kairflow.controller.backfill_sync import sync_backfill
from kairflow.controller.cache import Key
from kairflow.controller.dag_sync import sync_dag
from kairflow.controller.dagrun_sync import sync_dagrun
from kairflow.controller.pool_sync import sync_pool
from kairflow.controller.runtime import Runtime
from kairflow.controller.settings import OperatorSettings
from kairflow.core import labels
from kairflow.core.task_instance_slices import assemble, layout_of, slice_names
from tests.unit.controller.fake_cluster import Body, FakeCluster, FakeEvents

T = TypeVar("T")
NS = "team"
FEEDS: dict[str, Callable[[Runtime, str | None, Body], None]] = {
    "dags": informers.dag_event,
    "dagruns": informers.run_event,
    "backfills": informers.backfill_event,
    "pods": informers.pod_event,
    "pools": informers.pool_event,
    "assets": informers.asset_event,
    "taskinstanceslices": informers.slice_event,
}


@dataclass
class RecordingQueue:
    added: list[Hashable] = field(default_factory=list)
    paced: dict[Hashable, datetime] = field(default_factory=dict)
    """Each key's next sync not before (the last pace asked for it)."""

    def add(self, key: Hashable) -> None:
        if key not in self.added:
            self.added.append(key)

    def pace(self, key: Hashable, until: datetime) -> None:
        self.paced[key] = until

    def take(self) -> list[Hashable]:
        keys, self.added = self.added, []
        return keys


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class ControllerHarness:
    def __init__(self, now: datetime, **settings: Any) -> None:
        self.clock = FakeClock(now)
        self.cluster = FakeCluster(self.clock)
        self.events = FakeEvents()
        self.runtime = Runtime(
            settings=OperatorSettings(metrics_port=0, liveness_port=0, **settings),
            writer=self.cluster,
            clock=self.clock,
            events=self.events,
            dag_queue=RecordingQueue(),
            run_queue=RecordingQueue(),
            backfill_queue=RecordingQueue(),
            pool_queue=RecordingQueue(),
        )
        self._loop = asyncio.new_event_loop()
        self._delivered = 0

    def close(self) -> None:
        self._loop.close()

    def restarted(self, **settings: Any) -> ControllerHarness:
        """A new operator over this cluster, its cache filled with the objects as they
        are now (the startup LIST), every one of them enqueued."""
        fresh = ControllerHarness(self.clock(), **settings)
        fresh.cluster = fresh.runtime.writer = self.cluster
        fresh._delivered = len(self.cluster.watch)
        for (plural, _, _), body in sorted(self.cluster.objects.items()):
            if plural in FEEDS and (
                plural != "pods" or labels.DAG_RUN in body["metadata"].get("labels", {})
            ):
                FEEDS[plural](fresh.runtime, "ADDED", copy.deepcopy(body))
        return fresh

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(work)

    # -- the cluster, as users and kubelets change it ---------------------------------
    def apply(self, plural: str, body: Body) -> Body:
        body.setdefault("metadata", {}).setdefault("namespace", NS)
        stored = self.cluster.put(plural, body)
        self.deliver()
        return stored

    def deliver(self) -> None:
        """Feed every watch event not delivered yet to the informers, in order."""
        while self._delivered < len(self.cluster.watch):
            plural, kind, body = self.cluster.watch[self._delivered]
            self._delivered += 1
            if plural == "pods" and labels.DAG_RUN not in body["metadata"].get("labels", {}):
                continue
            if plural not in FEEDS:
                continue  # not watched by the operator (ConfigMaps of big XComs)
            FEEDS[plural](self.runtime, kind, body)

    def pod_status(self, pod: str, phase: str, exit_code: int | None = None, **state: Any) -> None:
        """A kubelet reports on the pod: Running, or Succeeded / Failed with an exit code."""
        now = self.clock().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        container: Body = {"name": "base"}
        if phase == "Running":
            container["state"] = {"running": {"startedAt": now}}
        elif exit_code is not None:
            container["state"] = {
                "terminated": {"exitCode": exit_code, "startedAt": now, "finishedAt": now, **state}
            }
        self.cluster.set_pod_status(NS, pod, {"phase": phase, "containerStatuses": [container]})
        self.deliver()

    # -- the controller ----------------------------------------------------------------
    def queued(self) -> dict[str, list[Hashable]]:
        """What syncs the controller asked for since the last look, by kind."""
        rt = self.runtime
        queues = {
            "dags": rt.dag_queue,
            "dagruns": rt.run_queue,
            "backfills": rt.backfill_queue,
            "pools": rt.pool_queue,
        }
        return {kind: q.take() for kind, q in queues.items() if isinstance(q, RecordingQueue)}

    def sync_dag(self, name: str) -> datetime | None:
        return self.run(sync_dag(self.runtime, (NS, name)))

    def sync_run(self, name: str) -> datetime | None:
        return self.run(sync_dagrun(self.runtime, (NS, name)))

    def sync_backfill(self, name: str) -> datetime | None:
        return self.run(sync_backfill(self.runtime, (NS, name)))

    def sync_pool(self, name: str) -> datetime | None:
        return self.run(sync_pool(self.runtime, (NS, name)))

    def settle(self, rounds: int = 50) -> dict[Key, datetime]:
        """Run every sync asked for, and those they ask for, delivering watch events
        in between, until nothing more is asked. Returns the wake-ups syncs asked for."""
        syncs = {
            "dags": self.sync_dag,
            "dagruns": self.sync_run,
            "backfills": self.sync_backfill,
            "pools": self.sync_pool,
        }
        wakes: dict[Key, datetime] = {}
        for _ in range(rounds):
            self.deliver()
            asked = self.queued()
            if not any(asked.values()):
                return wakes
            for kind, keys in asked.items():
                for key in keys:
                    assert isinstance(key, tuple)
                    when = syncs[kind](key[1])
                    if when is not None:
                        wakes[key] = when
        raise AssertionError("the controller kept asking for syncs")

    def status(self, plural: str, name: str) -> Body:
        body = self.cluster.objects[(plural, NS, name)]
        return dict(body.get("status") or {})

    def task_instances(self, run: str) -> Body:
        """A run's task instances as stored: in its status, or in its slices."""
        status = self.status("dagruns", run)
        slices = layout_of(status)
        if not slices:
            return dict(status.get("taskInstances") or {})
        parts = [
            (self.cluster.objects.get(("taskinstanceslices", NS, name)) or {})
            .get("status", {})
            .get("taskInstances")
            for name in slice_names(run, slices)
        ]
        return dict(assemble(status, parts)["taskInstances"])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
