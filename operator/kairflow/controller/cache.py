"""The operator's view of the cluster, fed by watch events (an informer cache).

Bodies are kept as the API sent them (a sync writes its run's status back from
its own body) and each is observed once, on the way in, into the core's typed
values: every decision about siblings reads those. A status this operator just
wrote is stored from the write's response, so the next sync never sees an older
copy than its own.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from kairflow.api.asset import AssetEvent, AssetStatus
from kairflow.api.common import DagRunState
from kairflow.core import labels
from kairflow.core.assets import asset_name, scheduled_assets
from kairflow.core.dag_defaults import DagDefaults
from kairflow.core.observations import ObservedDag, ObservedRun
from kairflow.core.pools import PoolTable
from kairflow.core.sealed_blocks import sealed_block_of
from kairflow.core.task_instance_slices import FIELD, assemble, layout_of, slice_name
from kairflow.core.wakeups import waits_for_slots
from kairflow.k8s.observe import SnapshotMemo, observe_dag, observe_run

Key = tuple[str, str]  # (namespace, name)
TOMBSTONES = 10_000
Body = dict[str, Any]


def _version(body: Mapping[str, Any]) -> int:
    # etcd-backed apiservers use increasing integers; treat anything else as newest.
    try:
        return int(body.get("metadata", {}).get("resourceVersion", "0"))
    except ValueError:
        return 1 << 62


def key_of(body: Mapping[str, Any]) -> Key:
    meta = body["metadata"]
    return str(meta.get("namespace")), str(meta["name"])


def _lean(body: Body) -> Body:
    """The body without `metadata.managedFields`: the API server's field ownership,
    which the operator never reads, is as long as the status it tracks (a big run's
    lists every task instance's every field). A write of the lean body leaves the
    object's managedFields as they are. Its task instances' keys and states are
    shared strings (`_shared_names`)."""
    meta = body.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        body = {**body, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return _shared_names(body)


def _shared_names(body: Body) -> Body:
    """The body with its task instances' keys and states as one str object each,
    cache-wide: JSON decoding makes a str for every occurrence, and 1,000 runs of a
    50-task DAG repeat each task's name and state 1,000 times (about 5 MB of the
    operator's 205 MiB)."""
    status = body.get("status")
    instances = status.get(FIELD) if isinstance(status, dict) else None
    if not isinstance(status, dict) or not isinstance(instances, dict) or not instances:
        return body
    shared: dict[str, Any] = {}
    for key, ti in instances.items():
        if isinstance(ti, dict) and type(state := ti.get("state")) is str:
            ti["state"] = sys.intern(state)  # the same value: harmless where shared
        shared[sys.intern(key)] = ti
    return {**body, "status": {**status, FIELD: shared}}


def _same_dag(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether `after` differs from `before` in its status only (what `observe_dag`
    reads is the spec and the metadata's name, namespace and generation)."""
    old, new = before.get("metadata") or {}, after.get("metadata") or {}
    return before.get("spec") == after.get("spec") and all(
        old.get(k) == new.get(k) for k in ("name", "namespace", "generation", "uid")
    )


def _put_newer(table: dict[Key, Body], body: Body) -> bool:
    """Store `body` (lean) in `table` unless an equal or newer version is there."""
    body = _lean(body)
    key = key_of(body)
    if not _newer(table.get(key), body):
        return False
    table[key] = body
    return True


def _of(slice_body: Mapping[str, Any], run: str) -> bool:
    return (slice_body.get("spec") or {}).get("dagRun") == run


def _newer(current: Mapping[str, Any] | None, body: Mapping[str, Any]) -> bool:
    return current is None or _version(body) > _version(current)


@dataclass
class Cache:
    dags: dict[Key, Body] = field(default_factory=dict)
    runs: dict[Key, Body] = field(default_factory=dict)
    backfills: dict[Key, Body] = field(default_factory=dict)
    pools: dict[Key, Body] = field(default_factory=dict)
    assets: dict[Key, Body] = field(default_factory=dict)
    dag_views: dict[Key, ObservedDag] = field(default_factory=dict)
    run_views: dict[Key, ObservedRun] = field(default_factory=dict)
    runs_by_dag: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    pods_by_run: dict[Key, dict[str, Body]] = field(default_factory=lambda: defaultdict(dict))
    waiting_for_slots: set[Key] = field(default_factory=set)
    """Running runs with ready task instances that found no free slot."""
    watchers: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    """(namespace, DAG) -> runs whose deferred task instances watch that DAG's runs."""
    snapshots: SnapshotMemo = field(default_factory=SnapshotMemo)
    dag_defaults: DagDefaults = field(default_factory=DagDefaults)
    """The operator's defaults for what a DAG does not say (its settings')."""
    versions_seen: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    """(namespace, DAG) -> the DAG versions its runs named, since this process started."""
    gone: dict[Key, str | None] = field(default_factory=dict)
    """Runs deleted, by uid (oldest first, at most TOMBSTONES)."""
    slices: dict[Key, Body] = field(default_factory=dict)
    """TaskInstanceSlices, by (namespace, name): a big run's task instances. A run's
    body here has them put back in its status (`assembled`)."""
    claims: set[Key] = field(default_factory=set)
    """Runs whose cached body is a sync's planned status, not written yet (`claim`)."""

    # DAGs -----------------------------------------------------------------------
    def needs_observing(self, body: Mapping[str, Any]) -> bool:
        """Whether `put_dag(body)` would read the DAG anew (a new spec or identity):
        the caller may do that off the event loop and pass it in (a big DAG's
        validation takes a noticeable fraction of a second)."""
        key = key_of(body)
        before = self.dags.get(key)
        if before is not None and not _newer(before, body):
            return False
        return key not in self.dag_views or before is None or not _same_dag(before, body)

    def put_dag(self, body: Body, observed: ObservedDag | None = None) -> bool:
        """Store `body` unless an equal or newer version is there; True when stored.
        `observed`: `observe_dag(body)`, when the caller has it already."""
        body = _lean(body)
        key = key_of(body)
        if not _newer(self.dags.get(key), body):
            return False
        read = self.needs_observing(body)
        self.dags[key] = body
        if read:
            # Reading a DAG validates it whole (its graph, templates, params' schemas):
            # done once per version of its spec and metadata, not on each status write.
            view = self.dag_views[key] = observed or observe_dag(body, self.dag_defaults)
            if view.version is not None and view.spec is not None:
                # What a run of its current version runs: no read of its ConfigMap.
                self.snapshots.remember((key[0], view.version), view.spec)
        return True

    def forget_dag(self, key: Key) -> None:
        self.dags.pop(key, None)
        self.dag_views.pop(key, None)
        self.versions_seen.pop(key, None)  # its versions go with it (owner references)

    def dag(self, key: Key) -> ObservedDag | None:
        return self.dag_views.get(key)

    # Runs -----------------------------------------------------------------------
    def put_run(self, body: Body) -> bool:
        """Store `body` unless an equal or newer version is there, or the run was
        deleted (a write's response can come after the run's DELETED event)."""
        body = _lean(body)
        if not _newer(self.runs.get(key_of(body)), body) or self._deleted(body):
            return False
        self.claims.discard(key_of(body))  # written, or overtaken by a newer version
        self._store(self.assembled(body))
        return True

    # Task instance slices ------------------------------------------------------------
    def assembled(self, body: Body) -> Body:
        """A run as stored (its task instances in slices when it is big) with its
        task instances put back from the slices cached (see `missing_slices`)."""
        status = body.get("status") or {}
        slices = layout_of(status)
        if not slices:
            return body
        namespace, run = key_of(body)
        parts = (self.slice_part((namespace, slice_name(run, slices, i))) for i in range(slices))
        return {**body, "status": assemble(status, parts)}

    def slice_part(self, key: Key) -> Body | None:
        """The task instances a cached slice holds; None when it is not cached."""
        found = self.slices.get(key)
        return None if found is None else (found.get("status") or {}).get(FIELD) or {}

    def missing_slices(self, run: Key) -> list[str]:
        """The slices a run's layout names that are not cached (a watch lags)."""
        body = self.runs.get(run)
        slices = layout_of((body or {}).get("status") or {})
        names = (slice_name(run[1], slices, index) for index in range(slices))
        return [name for name in names if (run[0], name) not in self.slices]

    def put_slice(self, body: Body, reassemble: bool = True) -> Key | None:
        """Store a slice unless an equal or newer version is there. Returns its run
        when the run's task instances were put back anew (`reassemble`)."""
        if (body.get("spec") or {}).get("task") is not None:
            # A sealed block (`core.sealed_blocks`): finished instances the operator
            # reads back only when asked, so only its name and version are kept.
            _put_newer(self.slices, {k: v for k, v in body.items() if k != "status"})
            return None
        if not _put_newer(self.slices, body):
            return None
        run = (key_of(body)[0], str((body.get("spec") or {}).get("dagRun")))
        return run if reassemble and self.reassemble(run) else None

    def forget_slice(self, key: Key) -> None:
        self.slices.pop(key, None)

    def reassemble(self, run: Key) -> bool:
        """Put a cached run's task instances back from its cached slices (one of them
        changed); False when the run is not cached or is not sliced.

        Not while a sync's claim is pending: its planned task instances are newer than
        any slice, and its slot holding must stay until its write lands (`put_run`,
        which puts the run back together from the slices then) or is given back
        (`unclaim`, likewise). The run is synced again either way."""
        body = self.runs.get(run)
        if body is None or not layout_of(body.get("status") or {}):
            return False
        if run not in self.claims:
            self._store(self.assembled(body))
        return True

    def claim(self, key: Key, planned: Body) -> Body | None:
        """Put a sync's planned status in the cache before it is written: its slots
        and its place among maxActiveRuns are taken from now on. Until the write
        lands, the run also keeps what its saved status holds (a slot it gives back
        is not free before the status saying so is written). Returns the body to give
        to `unclaim`, or None when the run was deleted meanwhile (the sync stops)."""
        saved = self.run_views.get(key)
        if saved is None or self._deleted(planned):
            return None
        self.claims.add(key)
        view = self._store(planned)
        self.run_views[key] = replace(
            view,
            holding={**saved.holding, **view.holding},
            state=DagRunState.RUNNING
            if DagRunState.RUNNING in (saved.state, view.state)
            else view.state,
        )
        return planned

    def unclaim(self, key: Key, claimed: Body | None, original: Body) -> bool:
        """Give back a claim that was not written, unless a newer version of the run
        came in meanwhile (it then stays). True when given back."""
        if claimed is None or self.runs.get(key) is not claimed:
            return False
        self.claims.discard(key)
        self._store(self.assembled(original))  # with what slices changed meanwhile
        return True

    def end_claim(self, key: Key) -> None:
        """A claim whose status needed no write (it is what is stored): the run is
        put back together from its slices, as a written one would be."""
        if key in self.claims:
            self.claims.discard(key)
            self.reassemble(key)

    def observe_again(self, key: Key) -> None:
        """Observe a stored run anew: its DAG version has just been loaded (its slots
        and watches are known from now on)."""
        body = self.runs.get(key)
        if body is not None:
            self._store(body)

    def _store(self, body: Body) -> ObservedRun:
        key = key_of(body)
        view = observe_run(body, self.snapshots)
        self.runs[key] = body
        self.gone.pop(key, None)
        if view.dag_name:
            self.runs_by_dag[(key[0], view.dag_name)].add(key[1])
            if view.dag_version:
                self.versions_seen[(key[0], view.dag_name)].add(view.dag_version)
        if waits_for_slots(view):
            self.waiting_for_slots.add(key)
        else:
            self.waiting_for_slots.discard(key)
        before = self.run_views.get(key)
        self._watch(key, before.watches if before is not None else frozenset(), view.watches)
        self.run_views[key] = view
        return view

    def _watch(self, key: Key, before: frozenset[str], after: frozenset[str]) -> None:
        for dag in before - after:
            self.watchers.get((key[0], dag), set()).discard(key[1])
        for dag in after - before:
            self.watchers[(key[0], dag)].add(key[1])

    def watchers_of(self, dag: Key) -> set[str]:
        """Runs (by name) whose deferred task instances watch `dag`'s runs."""
        return set(self.watchers.get(dag, ()))

    def _deleted(self, body: Body) -> bool:
        uid = (body.get("metadata") or {}).get("uid")
        return uid is not None and self.gone.get(key_of(body)) == uid

    def forget_run(self, key: Key) -> ObservedRun | None:
        body = self.runs.pop(key, None)
        if body is not None:
            # A tombstone: late responses for this run (same uid) are not stored back.
            self.gone[key] = body["metadata"].get("uid")
            while len(self.gone) > TOMBSTONES:
                self.gone.pop(next(iter(self.gone)))
        self.pods_by_run.pop(key, None)
        self.claims.discard(key)
        for name in [n for (ns, n), b in self.slices.items() if ns == key[0] and _of(b, key[1])]:
            self.slices.pop((key[0], name), None)  # the garbage collector deletes them
        self.waiting_for_slots.discard(key)
        view = self.run_views.pop(key, None)
        if view is not None:
            self.runs_by_dag.get((key[0], view.dag_name), set()).discard(key[1])
            self._watch(key, view.watches, frozenset())
        return view

    def run(self, key: Key) -> ObservedRun | None:
        return self.run_views.get(key)

    def runs_of(self, dag: Key) -> list[ObservedRun]:
        """Every run of a DAG, by name."""
        views = (
            self.run_views.get((dag[0], name)) for name in sorted(self.runs_by_dag.get(dag, ()))
        )
        return [view for view in views if view is not None]

    def unused_versions(self, dag: Key) -> list[str]:
        """DAG versions of `dag` that runs named and no run names now, nor the DAG."""
        view = self.dag_views.get(dag)
        used = {run.dag_version for run in self.runs_of(dag)}
        used.add(view.version if view is not None else None)
        return sorted(self.versions_seen.get(dag, set()) - used)

    def saw_version(self, dag: Key, name: str) -> None:
        """A version of `dag` was stored without a run naming it yet (its DAG was
        applied): pruned like the others once it is neither named nor current."""
        self.versions_seen[dag].add(name)

    def forget_version(self, dag: Key, name: str) -> None:
        self.versions_seen.get(dag, set()).discard(name)
        self.snapshots.forget_stored((dag[0], name))

    def all_runs(self) -> Iterator[ObservedRun]:
        return iter(list(self.run_views.values()))

    # Backfills ------------------------------------------------------------------
    def put_backfill(self, body: Body) -> bool:
        return _put_newer(self.backfills, body)

    def backfills_of(self, dag: Key) -> list[Key]:
        return [
            key
            for key, body in self.backfills.items()
            if key[0] == dag[0] and (body.get("spec") or {}).get("dagName") == dag[1]
        ]

    # Pools ----------------------------------------------------------------------
    def put_pool(self, body: Body) -> bool:
        return _put_newer(self.pools, body)

    def pool_table(self, defaults: Mapping[str, int]) -> PoolTable:
        """The operator's default pools and every Pool object's slots, as of now."""
        return PoolTable(
            dict(defaults), {key: pool_slots(body) for key, body in self.pools.items()}
        )

    def pools_in(self, namespace: str) -> list[Key]:
        return sorted(key for key in self.pools if key[0] == namespace)

    # Assets ---------------------------------------------------------------------
    def put_asset(self, body: Body) -> bool:
        return _put_newer(self.assets, body)

    def asset_events(self, namespace: str, uri: str) -> list[AssetEvent]:
        """The recorded events of the asset with this URI (its object is named from the
        URI: `core.assets.asset_name`), oldest first; none when it has no object."""
        body = self.assets.get((namespace, asset_name(uri)))
        if body is None or (body.get("spec") or {}).get("uri") != uri:
            return []
        try:
            return AssetStatus.model_validate(body.get("status") or {}).events
        except ValidationError:
            return []  # hand-edited into a shape the CRD should have refused

    def consumers_of(self, namespace: str, uri: str) -> list[Key]:
        """The DAGs of the namespace scheduled on this asset."""
        return sorted(
            key
            for key, view in self.dag_views.items()
            if key[0] == namespace and uri in scheduled_assets(view.spec)
        )

    def runs_bodies_of(self, dag: Key) -> list[Body]:
        names = sorted(self.runs_by_dag.get(dag, ()))
        return [body for name in names if (body := self.runs.get((dag[0], name))) is not None]

    # Pods -----------------------------------------------------------------------
    def put_pod(self, run: Key, body: Body) -> None:
        if _of_sealed(self.runs.get(run), body):
            # Ended, and its task instance sealed (`core.sealed_blocks`): nothing reads
            # it any more (a LIST after a broken watch brings every such pod back).
            self.forget_pod(run, body["metadata"]["name"])
            return
        self.pods_by_run[run][body["metadata"]["name"]] = pod_observation(body)

    def forget_pod(self, run: Key, name: str) -> None:
        pods = self.pods_by_run.get(run)
        if pods is not None:
            pods.pop(name, None)

    def pods_of(self, run: Key) -> list[Body]:
        return list(self.pods_by_run.get(run, {}).values())


_POD_METADATA = ("name", "namespace", "creationTimestamp", "deletionTimestamp")
_POD_STATUS = ("phase", "reason", "message")


def pod_observation(body: Mapping[str, Any]) -> Body:
    """The part of a pod the operator reads back (`observe_pod`, and its name): a
    pod's spec (rendered command, env, volumes), its labels and annotations (a dozen
    each), conditions and container images are most of its size, times every pod
    of every active run. Each container keeps its name and state (the task's is
    found by name; its state has the exit code, times and the XCom)."""
    meta, status = body.get("metadata") or {}, body.get("status") or {}
    kept: Body = {k: status[k] for k in _POD_STATUS if k in status}
    containers = status.get("containerStatuses")
    if containers:
        kept["containerStatuses"] = [
            {"name": c.get("name"), "state": c.get("state") or {}} for c in containers
        ]
    return {"metadata": {k: meta[k] for k in _POD_METADATA if k in meta}, "status": kept}


def _of_sealed(run: Body | None, pod: Mapping[str, Any]) -> bool:
    """Whether `pod` has ended and belongs to a sealed instance of `run`."""
    if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") or run is None:
        return False
    found = (pod.get("metadata") or {}).get("labels") or {}
    index = str(found.get(labels.MAP_INDEX))
    record = ((run.get("status") or {}).get(FIELD) or {}).get(found.get(labels.TASK))
    if not isinstance(record, dict) or not index.isdigit():
        return False
    return sealed_block_of(record, int(index)) is not None


def pool_slots(body: Mapping[str, Any]) -> int:
    """A Pool's slots (0 for a malformed one: the CRD's schema keeps those out)."""
    slots = (body.get("spec") or {}).get("slots")
    return slots if isinstance(slots, int) and slots >= 0 else 0


def run_owner(pod: Mapping[str, Any]) -> str | None:
    """The DagRun a pod belongs to, from its controller owner reference."""
    for ref in pod.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "DagRun":
            return str(ref["name"])
    return None
