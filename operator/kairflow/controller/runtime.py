"""Everything a sync needs, shared by the handlers: the cache, the queues, the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kairflow.api.common import API_VERSION
from kairflow.api.dagrun import RunType
from kairflow.controller.cache import Cache, Key
from kairflow.controller.collector import FullCollections
from kairflow.controller.metrics import Metrics
from kairflow.controller.settings import OperatorSettings
from kairflow.controller.xcom_cache import XComCache
from kairflow.core import labels as keys
from kairflow.core.naming import label_value
from kairflow.core.observations import ObservedRun
from kairflow.core.wakeups import after_run_change
from kairflow.k8s.api import ClusterApi, EventSink
from kairflow.k8s.writes import Conflict, NotFound, owner_reference

if TYPE_CHECKING:
    from kairflow.controller.sharding import Shard

ONE_OBJECT = 1024 * 1024
"""The most a run's status may hold when it is all in one object: measured, the API
server takes a status of 1 MiB with its managedFields (about 1.5 MB in all), and
refuses one of 1.58 MB."""

log = logging.getLogger(__name__)


def _pool_counts(run: ObservedRun | None) -> tuple[object, ...]:
    if run is None:
        return ()
    return (run.state, sorted(run.holding.items()), sorted(run.waiting.items()))


class Queue(Protocol):
    """Where syncs are asked for (`WorkQueue`; a recording fake in unit tests)."""

    def add(self, key: Key) -> None: ...

    def pace(self, key: Key, until: datetime) -> None: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: OperatorSettings
    writer: ClusterApi
    cache: Cache = field(default_factory=Cache)
    metrics: Metrics = field(default_factory=Metrics)
    collections: FullCollections = field(default_factory=FullCollections)
    """Held off while a pass creates pods in bulk (`collector`)."""
    clock: Callable[[], datetime] = utcnow
    dag_queue: Queue | None = None
    run_queue: Queue | None = None
    backfill_queue: Queue | None = None
    pool_queue: Queue | None = None
    events: EventSink | None = None
    assets_installed: bool = True
    """False when the Asset CRD was missing at startup: outlets are not recorded."""
    slices_installed: bool = True
    """False when the TaskInstanceSlice CRD was missing at startup: every run keeps its
    task instances in its own status, bounded as one object (`record_limits`)."""
    blocks_accepted: bool = True
    """False once the API refused a sealed block: its TaskInstanceSlice CRD predates
    them (`helm upgrade` does not update CRDs); nothing is sealed from then on."""
    xcoms: XComCache = field(default_factory=XComCache)
    shard: Shard | None = None
    """This replica's share of the DAGs when replicas shard them; None: all of them."""

    def __post_init__(self) -> None:
        self.cache.dag_defaults = self.settings.dag_defaults

    def record_limits(self) -> tuple[int, int]:
        """(bytes of a run's records in all, bytes of task instances per object). With
        no TaskInstanceSlice CRD a run is one object: the limit is what etcd takes."""
        limit = self.settings.max_run_status_kib * 1024
        if not self.slices_installed:
            return min(limit, ONE_OBJECT), ONE_OBJECT
        return limit, self.settings.task_instance_slice_kib * 1024

    async def write_status(self, plural: str, body: dict[str, Any], wire: dict[str, Any]) -> None:
        """PUT a DAG's or Backfill's status (unless unchanged) and keep the cache current.
        On a conflict our copy is stale: re-read it so the retry does not conflict again."""
        if wire == (body.get("status") or {}):
            return
        put, enqueue = {
            "dags": (self.cache.put_dag, self.enqueue_dag),
            "backfills": (self.cache.put_backfill, self.enqueue_backfill),
            "pools": (self.cache.put_pool, self.enqueue_pool),
        }[plural]
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        try:
            written = await self.writer.replace_status(namespace, plural, {**body, "status": wire})
        except Conflict:
            fresh = await self.writer.get(namespace, plural, name)
            if fresh is not None:
                put(fresh)
                enqueue((namespace, name))
            return
        except NotFound:
            return  # deleted meanwhile: its watch event takes it out of the cache
        put(written)

    def run_states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        # Called from the metrics server's thread: iterate over a snapshot.
        for view in list(self.cache.run_views.copy().values()):
            state = view.state.value if view.state else "pending"
            counts[state] = counts.get(state, 0) + 1
        return counts

    def acts_on(self, kind: str, key: Key) -> bool:
        """Whether this replica syncs `key` (of a sync `kind`) now: always, unless
        replicas shard the DAGs; then only what belongs to a DAG (or Pool) it owns."""
        if self.shard is None:
            return True
        if kind == "pool":
            return self.shard.owns_pool(key)
        dag = self._dag_of(kind, key)
        return dag is not None and self.shard.owns_dag(dag)

    def _dag_of(self, kind: str, key: Key) -> Key | None:
        if kind == "dag":
            return key
        if kind == "dagrun":
            run = self.cache.run(key)
            return None if run is None else (key[0], run.dag_name)
        backfill = self.cache.backfills.get(key)
        name = ((backfill or {}).get("spec") or {}).get("dagName")
        return (key[0], name) if isinstance(name, str) else None

    def take_over(self, dags: list[Key], pools: list[Key]) -> None:
        """Sync what just became ours: the DAGs with their runs and Backfills, Pools."""
        for dag in dags:
            self.enqueue_dag(dag)
            for run in self.cache.runs_of(dag):
                self.enqueue_run((dag[0], run.name))
            for backfill in self.cache.backfills_of(dag):
                self.enqueue_backfill(backfill)
        for pool in pools:
            self.enqueue_pool(pool)

    def enqueue_run(self, key: Key) -> None:
        if self.run_queue is not None:
            self.run_queue.add(key)

    def pace_run(self, key: Key, until: datetime) -> None:
        """The run's next pass starts no earlier than `until` (`core.pacing`)."""
        if self.run_queue is not None:
            self.run_queue.pace(key, until)

    def enqueue_dag(self, key: Key) -> None:
        if self.dag_queue is not None:
            self.dag_queue.add(key)

    def enqueue_backfill(self, key: Key) -> None:
        if self.backfill_queue is not None:
            self.backfill_queue.add(key)

    def enqueue_pool(self, key: Key) -> None:
        if self.pool_queue is not None:
            self.pool_queue.add(key)

    def run_changed(self, before: ObservedRun | None, after: ObservedRun | None) -> None:
        """Wake whoever a run's change can matter to (see `core.wakeups`)."""
        run = after or before
        if run is None:
            return
        dag_key = (run.namespace, run.dag_name)
        if _pool_counts(before) != _pool_counts(after):
            # A Pool's counts may have changed; its sync writes them only if they did.
            for pool in self.cache.pools_in(run.namespace):
                self.enqueue_pool(pool)
        siblings = self.cache.runs_of(dag_key)
        wake = after_run_change(before, after, siblings, self.cache.dag(dag_key))
        for name in sorted(wake.runs):
            self.enqueue_run((run.namespace, name))
        if wake.dag:
            self.enqueue_dag(dag_key)
        if wake.backfill:
            self.enqueue_backfill((run.namespace, wake.backfill))
        if wake.slots_freed:
            for waiting in sorted(self.cache.waiting_for_slots - {(run.namespace, run.name)}):
                self.enqueue_run(waiting)
        # Deferred task instances (triggerDagRun, externalTask) watching this DAG's runs.
        for name in sorted(self.cache.watchers_of(dag_key) - {run.name}):
            self.enqueue_run((run.namespace, name))

    async def create_run(
        self,
        dag: dict[str, Any],
        name: str,
        run_type: RunType,
        dates: tuple[str, str, str],
        metadata: dict[str, Any],
        conf: dict[str, Any] | None = None,
        extra_spec: dict[str, Any] | None = None,
    ) -> bool:
        """Create a DagRun the DAG owns (`dates`: logical date, interval start and end,
        ISO-8601); False when it was there already. It is counted at once (its watch
        event comes later and brings the run's first sync) as a placeholder that is
        never synced itself: it has no uid yet."""
        namespace, dag_name = dag["metadata"]["namespace"], dag["metadata"]["name"]
        logical, start, end = dates
        spec: dict[str, Any] = {
            "dagName": dag_name,
            "runType": run_type.value,
            "logicalDate": logical,
            "dataIntervalStart": start,
            "dataIntervalEnd": end,
        }
        if conf is not None:
            spec["conf"] = conf
        spec.update(extra_spec or {})
        labels = {keys.DAG: label_value(dag_name), keys.RUN_TYPE: run_type.value}
        run: dict[str, Any] = {
            "apiVersion": API_VERSION,
            "kind": "DagRun",
            "metadata": {
                "name": name,
                **metadata,
                "labels": {**labels, **metadata.get("labels", {})},
                "ownerReferences": [owner_reference(dag)],
            },
            "spec": spec,
        }
        created = await self.writer.create(namespace, "dagruns", run)
        meta = {**run["metadata"], "namespace": namespace, "resourceVersion": "0"}
        self.cache.put_run({**run, "metadata": meta})
        return created

    def rollback(self, key: Key, claimed: dict[str, Any] | None, original: dict[str, Any]) -> None:
        """Give back a sync's claim that was not written, waking whom it held off."""
        held = self.cache.run(key)
        if self.cache.unclaim(key, claimed, original):
            self.run_changed(held, self.cache.run(key))

    async def reread_run(self, key: Key) -> None:
        """Our copy of the run is stale (a write conflicted): read it now, as the
        watch may bring it later than the retry, and sync it again."""
        before = self.cache.run(key)
        fresh = await self.writer.get(key[0], "dagruns", key[1])
        if fresh is None:
            self.cache.forget_run(key)
            self.run_changed(before, None)
            return
        # A slice read anew (its write conflicted) is put back even when the run
        # itself did not change.
        if self.cache.put_run(fresh) or self.cache.reassemble(key):
            self.run_changed(before, self.cache.run(key))
        self.enqueue_run(key)

    def event(self, body: dict[str, Any], kind: str, reason: str, message: str) -> None:
        """A Kubernetes Event on the object, posted in the background."""
        if self.events is not None:
            self.events.post(body, kind, reason, message)
