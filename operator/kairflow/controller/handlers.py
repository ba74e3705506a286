"""kopf wiring: watch events update the cache and enqueue keys; nothing else.

No kopf state is persisted on our objects (no finalizers, no progress
annotations): every sync recomputes from the cluster, so the operator can be
killed at any moment and rebuild its view from the API on restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import kopf
from kubernetes_asyncio.client import ApiException, CoreV1Api

from kairflow.api.common import GROUP, VERSION
from kairflow.api.task_instance_slice import TaskInstanceSlice
from kairflow.controller.backfill_sync import sync_backfill
from kairflow.controller.cache import key_of, run_owner
from kairflow.controller.dag_sync import sync_dag
from kairflow.controller.dagrun_sync import sync_dagrun
from kairflow.controller.informers import (
    asset_event,
    backfill_event,
    dag_event,
    observed_dag,
    pod_event,
    pool_event,
    run_event,
    slice_event,
)
from kairflow.controller.kopf_state import forget_object_state, quiet_handler_logs
from kairflow.controller.malloc import trim_while_busy
from kairflow.controller.pod_watch import start_pod_watches
from kairflow.controller.pool_sync import sync_pool
from kairflow.controller.runtime import Runtime
from kairflow.controller.settings import OperatorSettings
from kairflow.controller.sharding import start_shard
from kairflow.controller.workqueue import WorkQueue
from kairflow.core import labels
from kairflow.k8s.api import ClusterApi
from kairflow.k8s.client import operator_client
from kairflow.k8s.events import EventPoster
from kairflow.k8s.rate_limit import ApiLimiter
from kairflow.k8s.writes import Writer

log = logging.getLogger(__name__)
# A namespace with this label set to "true" has an operator of its own (one started
# with `--namespace NS`, e.g. a team's, or an integration test's): an operator
# watching all namespaces leaves it alone. An operator given namespaces serves
# exactly those, labelled or not.
IGNORE_LABEL = labels.IGNORE


def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    # In a pod: its service account; elsewhere: $KUBECONFIG read now, not at import.
    in_pod = kopf.login_with_service_account(**kwargs)
    if in_pod is not None:
        return in_cluster_server(in_pod, os.environ)
    return kopf.login_with_kubeconfig(**kwargs)


def in_cluster_server(info: kopf.ConnectionInfo, env: Mapping[str, str]) -> kopf.ConnectionInfo:
    """The apiserver at the address the kubelet puts in every pod's environment, as
    client-go's InClusterConfig (and our own API client) reads it: kopf's default,
    kubernetes.default.svc, needs cluster DNS, which not every cluster has."""
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        return info
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return dataclasses.replace(info, server=f"https://{host}:{port}")


async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ours: OperatorSettings = memo.settings
    settings.posting.enabled = False  # our own Events say what happened
    forget_object_state(settings)  # event handlers only: no essences, no progress
    quiet_handler_logs()
    # Peering only where replicas share the work: a lone operator needs no keep-alives
    # (and kopf's keep-alive task can hang its shutdown when the apiserver goes away).
    # Shards are all active (each on its own DAGs): no kopf peering among them.
    settings.peering.standalone = ours.shards or not (ours.peering or ours.standby)
    settings.peering.name = ours.peering_name
    settings.peering.priority = 0 if ours.standby else 100
    settings.peering.lifetime = 15
    settings.peering.mandatory = ours.standby  # a standby without peering is pointless
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 30
    # kopf would SIGKILL the process 10 min after any stop it was not asked for, even
    # once the supervisor has started a new run.
    settings.process.ultimate_exiting_timeout = None
    api = await operator_client()
    memo.api = api
    runtime = Runtime(
        settings=ours,
        writer=Writer(api, ApiLimiter(ours.api_parallelism, ours.api_qps, ours.api_burst)),
        metrics=memo.metrics,
    )
    runtime.events = EventPoster(api, clock=runtime.clock, instance=ours.shard_identity_or_host)
    synced = [0]  # syncs run, for the trimmer

    def counted(
        kind: str, sync: Callable[[Runtime, Any], Awaitable[datetime | None]]
    ) -> Callable[[Any], Awaitable[datetime | None]]:
        async def run_sync(key: Any) -> datetime | None:
            if not runtime.acts_on(kind, key):  # another replica's (docs/sharding.md)
                runtime.metrics.syncs.labels(kind, "elsewhere").inc()
                return None
            synced[0] += 1
            try:
                wake_at = await sync(runtime, key)
            except Exception:
                runtime.metrics.syncs.labels(kind, "error").inc()
                raise
            runtime.metrics.syncs.labels(kind, "ok").inc()
            return wake_at

        return run_sync

    dag = counted("dag", sync_dag)
    run = counted("dagrun", sync_dagrun)
    backfill = counted("backfill", sync_backfill)
    pool = counted("pool", sync_pool)

    clock = runtime.clock  # wake-up times and timers read the same clock
    runtime.dag_queue = WorkQueue(dag, workers=ours.dag_workers, name="dags", clock=clock)
    # DAG syncs go first: a scheduled run created late stays late, while a run's next
    # pass a moment later costs nothing (200 DAGs due at once competed with the first
    # passes of the runs they had just made, on one event loop and API server).
    runtime.run_queue = WorkQueue(
        run, workers=ours.workers, name="dagruns", clock=clock, after=[runtime.dag_queue]
    )
    runtime.backfill_queue = WorkQueue(backfill, workers=2, name="backfills", clock=clock)
    runtime.pool_queue = WorkQueue(pool, workers=1, name="pools", clock=clock)
    memo.queues = [runtime.dag_queue, runtime.run_queue, runtime.backfill_queue, runtime.pool_queue]
    memo.runtime = runtime
    # namespace -> ignored? (see IGNORE_LABEL); None: this operator was given namespaces.
    memo.ignored_namespaces = None if ours.namespaces else {}
    await _prefill(runtime, memo, ours.namespaces)
    if ours.shards:
        runtime.shard = start_shard(runtime, api)
    for queue in memo.queues:
        queue.start()
        runtime.metrics.watch_queue(queue.name, queue.depth)
    runtime.metrics.watch_runs(runtime.run_states)
    memo.trimmer = asyncio.create_task(trim_while_busy(lambda: synced[0]), name="malloc-trim")


def _labelled_ignore(labels: Mapping[str, str] | None) -> bool:
    return (labels or {}).get(IGNORE_LABEL) == "true"


async def _ignored(memo: kopf.Memo, body: Mapping[str, Any]) -> bool:
    """True for objects in a namespace labelled kairflow.io/ignore=true, when this
    operator watches all namespaces. A namespace not seen yet is read once (its
    watch event may come after the first object in it); its events keep it fresh."""
    known: dict[str, bool] | None = memo.ignored_namespaces
    namespace = (body.get("metadata") or {}).get("namespace")
    if known is None or not namespace:
        return False
    if namespace not in known:
        try:
            found = await CoreV1Api(memo.api).read_namespace(namespace)
        except ApiException as exc:
            if exc.status != 404:
                log.warning("cannot read namespace %s (%s): serving it", namespace, exc.reason)
            return False
        known[namespace] = _labelled_ignore(found.metadata.labels)
    return known[namespace]


async def on_namespace(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    known: dict[str, bool] | None = memo.ignored_namespaces
    if known is None:
        return
    name = event["object"]["metadata"]["name"]
    if event["type"] == "DELETED":
        known.pop(name, None)
    else:
        known[name] = _labelled_ignore(event["object"]["metadata"].get("labels"))


async def list_pools(writer: ClusterApi, namespaces: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every Pool; none when the Pool CRD is not installed (`helm upgrade` does not
    add a chart's new CRDs): tasks then use the operator's pools, as before Pools."""
    try:
        return await writer.list_all("pools", namespaces)
    except ApiException as exc:
        if exc.status != 404:
            raise
        log.warning("no Pool CRD (kubectl apply -f crds/): using the operator's pools only")
        return []


async def list_assets(
    writer: ClusterApi, namespaces: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """Every Asset; None when the Asset CRD is not installed (`helm upgrade` does not
    add a chart's new CRDs): tasks' outlets are then not recorded (a warning each) and
    DAGs on assets get no asset runs, until the CRD is applied and the operator restarted."""
    try:
        return await writer.list_all("assets", namespaces)
    except ApiException as exc:
        if exc.status != 404:
            raise
        log.warning("no Asset CRD (kubectl apply -f crds/): asset events are not recorded")
        return None


async def list_slices(
    writer: ClusterApi, namespaces: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """Every TaskInstanceSlice; None when their CRD is not installed (`helm upgrade`
    does not add a chart's new CRDs): runs then keep their task instances in their
    own status, and one that outgrows what etcd takes stops starting tasks (TooLarge)."""
    try:
        return await writer.list_all(TaskInstanceSlice.PLURAL, namespaces)
    except ApiException as exc:
        if exc.status != 404:
            raise
        log.warning(
            "no TaskInstanceSlice CRD (kubectl apply -f crds/): big runs are limited to "
            "what one object holds (about 5,000 task instances)"
        )
        return None


async def _prefill(runtime: Runtime, memo: kopf.Memo, namespaces: tuple[str, ...]) -> None:
    """Fill the cache with a LIST of everything before any sync runs. The watch
    streams deliver objects one at a time: a sync started from the first DagRun event
    after a restart would otherwise count too few running runs, busy slots or past
    task states (maxActiveRuns, pools, dependsOnPast)."""
    # The watch's first events for these objects then carry the same resourceVersion
    # and are dropped as echoes: so every object loaded here is enqueued here.
    cache, writer = runtime.cache, runtime.writer
    # Assets first: a DAG's first sync must see the events it has not consumed.
    assets = await list_assets(writer, namespaces)
    runtime.assets_installed = assets is not None
    for body in assets or []:
        if not await _ignored(memo, body):
            cache.put_asset(body)
    for body in await writer.list_all("dags", namespaces):
        if not await _ignored(memo, body):
            cache.put_dag(body, await observed_dag(runtime, body))
            runtime.enqueue_dag(key_of(body))
    for body in await list_pools(writer, namespaces):
        if not await _ignored(memo, body):
            cache.put_pool(body)
            runtime.enqueue_pool(key_of(body))
    # Big runs' task instances before the runs: each run is put back together whole.
    slices = await list_slices(writer, namespaces)
    runtime.slices_installed = slices is not None
    for body in slices or []:
        if not await _ignored(memo, body):
            cache.put_slice(body, reassemble=False)
    for body in await writer.list_all("dagruns", namespaces):
        if not await _ignored(memo, body):
            cache.put_run(body)
            runtime.enqueue_run(key_of(body))
    for body in await writer.list_all("backfills", namespaces):
        if not await _ignored(memo, body):
            cache.put_backfill(body)
            runtime.enqueue_backfill(key_of(body))
    if kopf_watches_pods(runtime.settings):
        for pod in await writer.list_task_pods(namespaces):
            run = run_owner(pod)
            if run is not None and not await _ignored(memo, pod):
                cache.put_pod((pod["metadata"]["namespace"], run), pod)
    else:
        memo.pod_watches = await start_pod_watches(
            runtime, memo.api, namespaces, lambda body: _ignored(memo, body)
        )


def kopf_watches_pods(ours: OperatorSettings) -> bool:
    """Whether kopf watches the task pods (`pod_watch` says why it usually does not):
    only where kopf peering elects the active replica, as it pauses the standby's."""
    return not ours.shards and bool(ours.peering or ours.standby)


async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    on_ending: Callable[[], None] | None = getattr(memo, "on_ending", None)
    if on_ending is not None:
        on_ending()  # tell the supervisor this kopf run is going away
    runtime: Runtime | None = getattr(memo, "runtime", None)
    if runtime is None:
        return
    trimmer: asyncio.Task[None] | None = getattr(memo, "trimmer", None)
    if trimmer is not None:
        trimmer.cancel()
    for watch in getattr(memo, "pod_watches", []):
        await watch.stop()
    for queue in getattr(memo, "queues", []):
        await queue.stop()
    if runtime.shard is not None:
        await runtime.shard.stop()  # after the queues: nothing of ours runs any more
    if runtime.events is not None:
        await runtime.events.drain()
    await memo.api.close()


async def on_dag(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    body = event["object"]
    if await _ignored(memo, body):
        return
    deleted = event["type"] == "DELETED"
    observed = None if deleted else await observed_dag(memo.runtime, body)
    dag_event(memo.runtime, event["type"], body, observed)


async def on_run(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if not await _ignored(memo, event["object"]):
        run_event(memo.runtime, event["type"], event["object"])


async def on_backfill(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if not await _ignored(memo, event["object"]):
        backfill_event(memo.runtime, event["type"], event["object"])


async def on_pool(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if not await _ignored(memo, event["object"]):
        pool_event(memo.runtime, event["type"], event["object"])


async def on_asset(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if not await _ignored(memo, event["object"]):
        asset_event(memo.runtime, event["type"], event["object"])


async def on_slice(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if not await _ignored(memo, event["object"]):
        slice_event(memo.runtime, event["type"], event["object"])


async def on_pod(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if not await _ignored(memo, event["object"]):
        pod_event(memo.runtime, event["type"], event["object"])


def build_registry(settings: OperatorSettings) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(login)
    kopf.on.startup(registry=registry)(startup)
    kopf.on.cleanup(registry=registry)(cleanup)
    kopf.on.event(GROUP, VERSION, "dags", registry=registry)(on_dag)
    kopf.on.event(GROUP, VERSION, "dagruns", registry=registry)(on_run)
    kopf.on.event(GROUP, VERSION, "backfills", registry=registry)(on_backfill)
    kopf.on.event(GROUP, VERSION, "pools", registry=registry)(on_pool)
    kopf.on.event(GROUP, VERSION, "assets", registry=registry)(on_asset)
    kopf.on.event(GROUP, VERSION, TaskInstanceSlice.PLURAL, registry=registry)(on_slice)
    if kopf_watches_pods(settings):
        task_pods = {labels.DAG_RUN: kopf.PRESENT}
        kopf.on.event("", "v1", "pods", labels=task_pods, registry=registry)(on_pod)
    if not settings.namespaces:
        kopf.on.event("", "v1", "namespaces", registry=registry)(on_namespace)
    return registry
