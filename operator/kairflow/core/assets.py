"""Asset events, as Airflow records and consumes them, decided here from observations.

Producing: a task instance with `outlets` that turns success records one event per
outlet; its id comes from (DAG, run id, task, map index, try), so recording it again
(after an operator restart) finds it there. The operator records the events before it
writes the success, so an event is never lost either.

Consuming (Airflow's asset-DAG-run queue): each consumer DAG has, per asset of its
condition, the events it has not consumed yet: those after the last event it consumed
in the asset's list. When the condition holds on the assets with such events, one run
consumes all of them. A run's name is derived from the events it consumes and the run
carries them (`spec.triggeringAssetEvents`), so the events of every existing asset run
count as consumed: a crash between creating the run and writing the DAG's bookmark
makes no second run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from kairflow.api.asset import MAX_EVENTS, AssetEvent, AssetEventRef, AssetSchedule, AssetStatus
from kairflow.api.common import API_VERSION, TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus, RunType, TaskInstanceStatus
from kairflow.core.asset_conditions import ConditionError, asset_uris, condition_of, describe, holds
from kairflow.core.naming import HASH_LEN, dagrun_name, stable_hash
from kairflow.core.times import iso, parse_time

ATTEMPTS = 5
"""Writes of one event before giving up (each conflict means another writer got in)."""
_NOT_NAME_CHAR = re.compile(r"[^a-z0-9]+")
_SLUG_MAX = 40


def asset_name(uri: str) -> str:
    """The Asset object's name for a URI: a readable slug and a hash of the whole URI
    (`s3://bucket/Key.csv` -> `s3-bucket-key-csv-<hash>`), the same in every process."""
    slug = _NOT_NAME_CHAR.sub("-", uri.lower()).strip("-")[:_SLUG_MAX].strip("-")
    digest = stable_hash("asset", uri)
    return f"{slug}-{digest}" if slug else digest


def asset_manifest(uri: str) -> dict[str, object]:
    """The Asset a first event creates (the operator's or `kairflow assets emit`'s)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "Asset",
        "metadata": {"name": asset_name(uri)},
        "spec": {"uri": uri},
    }


def task_event_id(dag: str, run_id: str, task: str, map_index: int, try_number: int) -> str:
    return stable_hash("asset-event", dag, run_id, task, map_index, try_number, length=16)


def scheduled_assets(spec: DAGSpec | None) -> list[str]:
    """The URIs a DAG's asset schedule names (none for a DAG not on assets, or one
    whose expression does not parse: it is reported invalid)."""
    if spec is None or spec.assets is None:
        return []
    try:
        return asset_uris(condition_of(spec.assets))
    except ConditionError:
        return []


def schedule_description(spec: DAGSpec | None, timetable: str) -> str:
    """The schedule in words; Airflow's AssetOrTimeSchedule reads '<time>, or assets'."""
    if spec is None or spec.assets is None:
        return timetable
    try:
        condition = f"assets: {describe(condition_of(spec.assets))}"
    except ConditionError:
        return timetable
    return condition if spec.schedule is None else f"{timetable}, or {condition}"


def outlet_events(
    dag_name: str,
    run_id: str,
    spec: DAGSpec,
    before: DagRunStatus,
    after: DagRunStatus,
    now: datetime,
    sealed: Mapping[str, TaskInstanceStatus] | None = None,
) -> list[tuple[str, AssetEvent]]:
    """(uri, event) for every outlet of every task instance that turned success
    between `before` and `after` (a task marked success by hand records none, as in
    Airflow 2: `before` is taken after marks are applied); `sealed`: instances the
    pass sealed, out of `after` (`sealed_blocks`). A mapped task's own record of its
    instances pushes nothing."""
    outlets = {task.name: task.outlets for task in spec.tasks if task.outlets}
    out: list[tuple[str, AssetEvent]] = []
    for key, ti in chain(after.task_instances.items(), (sealed or {}).items()):
        if ti.state != TaskInstanceState.SUCCESS or ti.map_length is not None:
            continue
        was = before.task_instances.get(key)
        if was is not None and was.state == TaskInstanceState.SUCCESS:
            continue
        task = key.split("[", 1)[0] if ti.map_index is not None else key
        map_index = -1 if ti.map_index is None else ti.map_index
        for uri in outlets.get(task, []):
            event = AssetEvent(
                id=task_event_id(dag_name, run_id, task, map_index, ti.try_number),
                timestamp=iso(now),
                source_dag_id=dag_name,
                source_run_id=run_id,
                source_task_id=task,
                source_map_index=map_index,
                source_try_number=ti.try_number,
            )
            out.append((uri, event))
    return out


def with_event(status: AssetStatus, event: AssetEvent) -> AssetStatus | None:
    """The asset's status with `event` appended (the oldest beyond MAX_EVENTS dropped);
    None when an event with its id is there already."""
    if any(e.id == event.id for e in status.events):
        return None
    return AssetStatus(
        events=[*status.events, event][-MAX_EVENTS:],
        last_event_time=event.timestamp,
        event_count=(status.event_count or len(status.events)) + 1,
    )


def unconsumed(
    events: Sequence[AssetEvent],
    bookmark: AssetEventRef | None,
    consumed_ids: set[str],
    since: datetime,
) -> list[AssetEvent]:
    """The events of one asset a consumer has not consumed: those after the last one
    it did consume (the bookmark, or one in a run of it). When none of those is in the
    list any more (more than MAX_EVENTS since), the events newer than the bookmark's
    timestamp; a DAG that never consumed takes the events since it was created (as
    Airflow queues only events that happen while the DAG is scheduled on the asset)."""
    known = consumed_ids | ({bookmark.id} if bookmark is not None else set())
    last = max((i for i, e in enumerate(events) if e.id in known), default=None)
    if last is not None:
        return list(events[last + 1 :])
    floor = parse_time(bookmark.timestamp) if bookmark is not None else None
    floor = floor or since
    return [e for e in events if (t := parse_time(e.timestamp)) is not None and t > floor]


@dataclass(frozen=True)
class AssetTriggeredRun:
    """A run to create: Airflow's `asset_triggered__<time>`."""

    name: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    events: dict[str, list[AssetEvent]]


@dataclass(frozen=True)
class AssetPlan:
    create: AssetTriggeredRun | None
    consumed: dict[str, AssetEventRef]
    """The DAG's bookmark after this pass (its status' consumedAssetEvents)."""
    queued: dict[str, int] = field(default_factory=dict)
    """Per asset of the condition, events waiting (0: the DAG waits on that asset)."""


def _ref(event: AssetEvent) -> AssetEventRef:
    return AssetEventRef(id=event.id, timestamp=event.timestamp)


def plan_asset_run(
    dag_name: str,
    schedule: AssetSchedule,
    events: Mapping[str, Sequence[AssetEvent]],
    consumed: Mapping[str, AssetEventRef],
    consumed_by_runs: Mapping[str, set[str]],
    since: datetime,
    paused: bool,
) -> AssetPlan:
    """`events`: each asset's events (oldest first; a missing asset has none);
    `consumed`: the DAG's bookmark; `consumed_by_runs`: per URI, ids of the events its
    existing asset runs consumed; `since`: when the DAG was created. A paused DAG
    consumes nothing: its new events are passed over, as Airflow queues none for it."""
    condition = condition_of(schedule)
    uris = asset_uris(condition)
    waiting = {
        uri: unconsumed(
            events.get(uri, ()), consumed.get(uri), consumed_by_runs.get(uri, set()), since
        )
        for uri in uris
    }
    updated = {uri for uri, new in waiting.items() if new}
    bookmark = {uri: ref for uri, ref in consumed.items() if uri in uris}
    # A run's consumption the bookmark misses (its write was lost) moves it on.
    for uri in uris:
        known = consumed_by_runs.get(uri, set()) | (
            {bookmark[uri].id} if uri in bookmark else set()
        )
        listed = [e for e in events.get(uri, ()) if e.id in known]
        if listed:
            bookmark[uri] = _ref(listed[-1])
    if not paused and not holds(condition, updated):
        return AssetPlan(None, bookmark, {uri: len(new) for uri, new in waiting.items()})
    taken = {uri: new for uri, new in waiting.items() if new}
    bookmark.update({uri: _ref(new[-1]) for uri, new in taken.items()})
    queued = dict.fromkeys(uris, 0)
    if paused:
        return AssetPlan(None, bookmark, queued)
    return AssetPlan(_run_for(dag_name, taken), bookmark, queued)


def _run_for(dag_name: str, taken: dict[str, list[AssetEvent]]) -> AssetTriggeredRun:
    """The run consuming `taken`. Its logical date is the newest event's time and its
    data interval spans the events (Airflow 2.10 dates a dataset-triggered run at its
    newest queued event); its name carries a hash of the consumed events' ids, so the
    same consumption always gives the same name and another never does."""
    times = [t for new in taken.values() for e in new if (t := parse_time(e.timestamp))]
    newest, oldest = max(times), min(times)
    ids = sorted(e.id for new in taken.values() for e in new)
    digest = stable_hash("asset-run", dag_name, ids, length=HASH_LEN)
    name = dagrun_name(dag_name, f"asset-triggered-{digest}", newest)
    return AssetTriggeredRun(name, newest, oldest, newest, taken)


def consumed_by(run_specs: Sequence[Mapping[str, object]]) -> dict[str, set[str]]:
    """Per URI, the ids of the events consumed by these DagRun specs (wire form)."""
    out: dict[str, set[str]] = {}
    for spec in run_specs:
        if spec.get("runType") != RunType.ASSET_TRIGGERED.value:
            continue
        triggering = spec.get("triggeringAssetEvents")
        if not isinstance(triggering, Mapping):
            continue
        for uri, events in triggering.items():
            if isinstance(events, list):
                ids = {e["id"] for e in events if isinstance(e, Mapping) and "id" in e}
                out.setdefault(str(uri), set()).update(ids)
    return out
