"""Assets in the operator: record the events of producing tasks, give consumer DAGs
their asset runs. Every decision is `core.assets`'; this module reads and writes.

Recording is a read-modify-write of the Asset's status under its resourceVersion (a
conflict re-reads and tries again), so the operator and `kairflow assets emit` never
lose each other's events. A DagRun sync records its events before it writes the
success that caused them (`dagrun_sync`): a crash in between records them again,
which finds them there (their ids are deterministic).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kairflow.api.asset import AssetEvent, AssetStatus
from kairflow.api.dag import DAGStatus
from kairflow.api.dagrun import RunType
from kairflow.controller.cache import Body, Key
from kairflow.controller.runtime import Runtime
from kairflow.core.assets import (
    ATTEMPTS,
    AssetPlan,
    asset_manifest,
    asset_name,
    consumed_by,
    plan_asset_run,
    scheduled_assets,
    with_event,
)
from kairflow.core.observations import ObservedDag
from kairflow.core.times import instant, iso
from kairflow.k8s.writes import Conflict, NotFound

log = logging.getLogger(__name__)
PLURAL = "assets"


async def record_events(
    rt: Runtime, namespace: str, events: Sequence[tuple[str, AssetEvent]]
) -> None:
    """Record each (uri, event), creating the Asset on its first event. Raises when a
    write keeps failing, so the sync (and the success it records) is retried."""
    if not rt.assets_installed:
        for uri, event in events:
            log.warning("no Asset CRD: event of %s on %s not recorded", event.source_task_id, uri)
        return
    for uri, event in events:
        await _record(rt, namespace, uri, event)


async def _record(rt: Runtime, namespace: str, uri: str, event: AssetEvent) -> None:
    name = asset_name(uri)
    body = rt.cache.assets.get((namespace, name))
    for _ in range(ATTEMPTS):
        if body is None:
            await rt.writer.create(namespace, PLURAL, asset_manifest(uri))
            body = await rt.writer.get(namespace, PLURAL, name)
            if body is None:
                continue
        status = AssetStatus.model_validate(body.get("status") or {})
        recorded = with_event(status, event)
        if recorded is None:
            return  # recorded before (a retried sync)
        try:
            written = await rt.writer.replace_status(
                namespace, PLURAL, {**body, "status": recorded.to_wire()}
            )
        except Conflict:
            body = await rt.writer.get(namespace, PLURAL, name)
            continue
        except NotFound:
            body = None
            continue
        rt.cache.put_asset(written)
        log.info("asset event %s on %s (%s)", event.id, uri, event.source_task_id)
        wake_consumers(rt, namespace, uri)
        return
    raise RuntimeError(f"could not record an event on asset {uri} after {ATTEMPTS} tries")


def wake_consumers(rt: Runtime, namespace: str, uri: str) -> None:
    for key in rt.cache.consumers_of(namespace, uri):
        rt.enqueue_dag(key)


def plan_consumer(
    rt: Runtime, key: Key, body: Body, dag: ObservedDag, status: DAGStatus
) -> AssetPlan | None:
    """The asset run a DAG on assets gets now (None for a DAG not on assets)."""
    spec = dag.spec
    if spec is None or spec.assets is None:
        return None
    created = body["metadata"].get("creationTimestamp")
    return plan_asset_run(
        dag.name,
        spec.assets,
        {uri: rt.cache.asset_events(key[0], uri) for uri in scheduled_assets(spec)},
        status.consumed_asset_events,
        consumed_by([b.get("spec") or {} for b in rt.cache.runs_bodies_of(key)]),
        instant(created) if created else rt.clock(),
        paused=spec.paused,
    )


async def apply_consumer(rt: Runtime, body: Body, plan: AssetPlan, status: DAGStatus) -> None:
    """Create the plan's run (if any) and put its bookmark in `status` (written by the
    caller after): were the write lost, the run's own events say what it consumed."""
    run = plan.create
    if run is not None:
        dates = (iso(run.logical_date), iso(run.data_interval_start), iso(run.data_interval_end))
        triggering = {uri: [e.to_wire() for e in events] for uri, events in run.events.items()}
        made = await rt.create_run(
            body,
            run.name,
            RunType.ASSET_TRIGGERED,
            dates,
            {},
            extra_spec={"triggeringAssetEvents": triggering},
        )
        if made:
            count = sum(len(events) for events in run.events.values())
            rt.event(
                body,
                "Normal",
                "RunCreated",
                f"created run {run.name} for {count} asset event(s) on {', '.join(run.events)}",
            )
    status.consumed_asset_events = plan.consumed
    status.queued_asset_events = plan.queued
