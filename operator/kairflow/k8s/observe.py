"""Reading Kubernetes objects into the core's typed values (no API calls here).

Each object is observed once, when it enters the controller's cache; everything
after that reads the typed value.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from kairflow.api import DAG, DAGSpec
from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dagrun import RunType
from kairflow.api.problems import validation_problems
from kairflow.api.types import parse_datetime
from kairflow.core import labels
from kairflow.core.dag_defaults import DagDefaults
from kairflow.core.dag_versions import spec_json, version_name
from kairflow.core.observations import (
    DEFAULT_MAX_ACTIVE_RUNS,
    ObservedDag,
    ObservedRun,
    RequestedDates,
    SlotUse,
    SnapshotFacts,
    snapshot_facts,
)
from kairflow.core.pod_builder import BASE_CONTAINER
from kairflow.core.resolved_dag import Resolution
from kairflow.core.run_info import DataInterval
from kairflow.core.run_model import ObservedPod, PodPhase
from kairflow.core.sealed_blocks import recorded_state
from kairflow.core.task_settings import DEFAULT_POOL
from kairflow.core.times import parse_time
from kairflow.core.validation import validate_dag

Body = Mapping[str, Any]
VersionKey = tuple[str, str]
"""A DAG version: (namespace, ConfigMap name)."""
_ACTIVE = (TaskInstanceState.QUEUED.value, TaskInstanceState.RUNNING.value)


def _main_container(status: Mapping[str, Any]) -> Mapping[str, Any]:
    statuses = status.get("containerStatuses") or []
    for item in statuses:
        if item.get("name") == BASE_CONTAINER:
            return dict(item)
    return dict(statuses[0]) if statuses else {}


def observe_pod(pod: Mapping[str, Any]) -> ObservedPod:
    """What the planner needs from a pod: phase, exit code, reason, XCom, times."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    container = _main_container(status)
    state = container.get("state") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    running = state.get("running") or {}
    try:
        phase = PodPhase(status.get("phase") or "Pending")
    except ValueError:
        phase = PodPhase.UNKNOWN
    # A pod-level reason (Evicted, DeadlineExceeded) says more than the container's.
    reason = status.get("reason") or terminated.get("reason") or waiting.get("reason")
    message = status.get("message") or waiting.get("message")
    return ObservedPod(
        name=str(meta.get("name")),
        phase=phase,
        exit_code=terminated.get("exitCode"),
        reason=reason,
        message=message,
        termination_message=terminated.get("message"),
        created_at=parse_time(meta.get("creationTimestamp")),
        started_at=parse_time(running.get("startedAt") or terminated.get("startedAt")),
        finished_at=parse_time(terminated.get("finishedAt")),
        deleting=bool(meta.get("deletionTimestamp")),
    )


BUILT_IN = DagDefaults()


def observe_dag(body: Body, defaults: DagDefaults = BUILT_IN) -> ObservedDag:
    """The DAG with every problem found, one line each (schema, then semantics), and
    what it does not say taken from the operator's `defaults`."""
    meta = body.get("metadata") or {}
    raw = body.get("spec") or {}
    try:
        spec: DAGSpec | None = DAG.model_validate(body).spec
        problems = validate_dag(spec) if spec is not None else []
    except ValidationError as exc:
        spec, problems = None, validation_problems(exc)
    # The validated values; a manifest that does not validate still says whether its
    # runs may start (read leniently: the CRD's schema already typed them).
    limit = spec.max_active_runs if spec is not None else raw.get("maxActiveRuns")
    return ObservedDag(
        namespace=str(meta.get("namespace")),
        name=str(meta.get("name")),
        spec=spec,
        problems=tuple(problems),
        generation=meta.get("generation"),
        paused=spec.paused if spec is not None else raw.get("paused") is True,
        paused_upon_creation=_flag(raw.get("isPausedUponCreation")),
        catchup_by_default=defaults.catchup,
        max_active_runs=limit if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_ACTIVE_RUNS,
        version=version_name(str(meta.get("name")), spec_json(spec))
        if spec is not None and not problems
        else None,
    )


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


class SnapshotMemo:
    """The DAG specs runs run, by DAG version (each parsed once and shared by every
    run of that version), and what the accounting of runs needs from them (slots,
    dependsOnPast, watched DAGs), resolved once per version.

    Runs of a DAG's current version need no I/O: the DAG's own validated spec is
    remembered under its version's name. Older versions are loaded by their runs'
    syncs (`controller.dag_versions`). Bounded: a big DAG's parsed spec is large."""

    def __init__(self, size: int = 4096, specs: int = 128) -> None:
        self._size, self._spec_size = size, specs
        self._facts: OrderedDict[tuple[Any, ...], SnapshotFacts] = OrderedDict()
        self._specs: OrderedDict[VersionKey, Resolution] = OrderedDict()
        self._stored: dict[tuple[str, str, str | None], datetime] = {}

    def remember(self, version: VersionKey, spec: DAGSpec) -> None:
        """`version`: (namespace, name): names are per DAG, not per namespace."""
        known = self._specs.get(version)
        if known is None or known.spec is not spec:
            self._specs[version] = Resolution(spec)
        self._specs.move_to_end(version)
        if len(self._specs) > self._spec_size:
            self._specs.popitem(last=False)

    def spec(self, version: VersionKey) -> DAGSpec | None:
        found = self.resolution(version)
        return None if found is None else found.spec

    def resolution(self, version: VersionKey) -> Resolution | None:
        """The version's spec with what planner passes derive from it alone, resolved
        once for all its runs' passes (`core.resolved_dag`)."""
        found = self._specs.get(version)
        if found is not None:
            self._specs.move_to_end(version)
        return found

    def stored(self, version: VersionKey, dag_uid: str | None) -> bool:
        """Whether this process has seen the version's ConfigMap exist, owned by the
        DAG of this uid (a DAG deleted and made again has its versions made again)."""
        return (*version, dag_uid) in self._stored

    def mark_stored(self, version: VersionKey, dag_uid: str | None, at: datetime) -> None:
        self._stored[(*version, dag_uid)] = at

    def stored_since(self, version: VersionKey, since: datetime) -> bool:
        """Whether this process stored (or found) the version at `since` or later: a
        run starting on it may not have written its status yet."""
        return any(k[:2] == version and at >= since for k, at in self._stored.items())

    def forget_stored(self, version: VersionKey) -> None:
        for key in [k for k in self._stored if k[:2] == version]:
            del self._stored[key]
        self._specs.pop(version, None)

    def facts(
        self, namespace: str, uid: str | None, status: Mapping[str, Any]
    ) -> SnapshotFacts | None:
        """The facts of the DAG spec a run's status names (its version, or an inline
        snapshot); None while its version is not loaded."""
        version = (namespace, str(status["dagVersion"])) if status.get("dagVersion") else None
        key: tuple[Any, ...] = (
            ("version", *version) if version else ("run", uid or "", status.get("dagGeneration"))
        )
        keep = bool(version or uid)
        found = self._facts.get(key) if keep else None
        if found is not None:
            self._facts.move_to_end(key)
            return found
        if version:
            spec = self.spec(version)
            if spec is None:
                return None
            found = snapshot_facts(spec)
        else:
            try:
                found = snapshot_facts(DAGSpec.model_validate(status.get("dagSpec") or {}))
            except ValidationError:
                found = SnapshotFacts(slots={}, waits_on_past=False)
        if keep:
            self._facts[key] = found
            if len(self._facts) > self._size:
                self._facts.popitem(last=False)
        return found


def _date(text: Any) -> Any:
    """A date as a user wrote it in a spec (naive allowed); unreadable ones are None:
    the CRD's schema keeps those out, and the run's own sync reports them."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def _backfill_of(meta: Mapping[str, Any]) -> str | None:
    # The annotation has the full name; the label (for selectors) may be hashed.
    name = (meta.get("annotations") or {}).get(labels.BACKFILL) or (meta.get("labels") or {}).get(
        labels.BACKFILL
    )
    return str(name) if name else None


def observe_run(body: Body, memo: SnapshotMemo | None = None) -> ObservedRun:
    meta = body.get("metadata") or {}
    spec = body.get("spec") or {}
    status = body.get("status") or {}
    try:
        run_type = RunType(spec.get("runType") or RunType.MANUAL.value)
    except ValueError:
        run_type = RunType.MANUAL
    try:
        state = DagRunState(status["state"]) if status.get("state") else None
    except ValueError:
        state = None
    instances: Mapping[str, Any] = status.get("taskInstances") or {}
    task_states = {}
    for key, ti in instances.items():
        try:
            task_states[key] = TaskInstanceState(ti.get("state") or "none")
            if isinstance(sealed := ti.get("mapSealed"), dict) and sealed:
                task_states[key] = recorded_state(task_states[key], sealed)
        except ValueError:
            task_states[key] = TaskInstanceState.NONE
    holding: dict[str, SlotUse] = {}
    waiting: dict[str, SlotUse] = {}
    waits_on_past = False
    watches: set[str] = set()
    started = status.get("dagVersion") or status.get("dagSpec")
    # A version not loaded yet (an old one, after a restart) counts its active task
    # instances in the default pool, one slot each, until the run's own sync (the
    # first after a restart) loads it and observes the run again.
    facts = (
        (memo or SnapshotMemo(size=0)).facts(str(meta.get("namespace")), meta.get("uid"), status)
        if started and not (state is not None and state.finished)
        else None
    )
    slots = facts.slots if facts is not None else {}
    if facts is not None:
        waits_on_past = facts.waits_on_past
        if state == DagRunState.RUNNING:
            watches = {
                dag
                for key, ti in instances.items()
                if ti.get("state") == TaskInstanceState.DEFERRED.value
                and (dag := facts.watched.get(key.split("[", 1)[0])) is not None
            }
    if started and state == DagRunState.RUNNING:
        holding = {
            key: slots.get(key.split("[", 1)[0], SlotUse(DEFAULT_POOL, 1))
            for key, ti in instances.items()
            if ti.get("state") in _ACTIVE
        }
        waiting = {
            key: slots.get(key.split("[", 1)[0], SlotUse(DEFAULT_POOL, 1))
            for key, ti in instances.items()
            if ti.get("state") == TaskInstanceState.SCHEDULED.value
        }
    start, end = (
        parse_time(status.get("dataIntervalStart")),
        parse_time(status.get("dataIntervalEnd")),
    )
    clear = spec.get("clear") or {}
    return ObservedRun(
        namespace=str(meta.get("namespace")),
        name=str(meta.get("name")),
        dag_name=str(spec.get("dagName") or ""),
        run_type=run_type,
        created_at=parse_time(meta.get("creationTimestamp")),
        requested=RequestedDates(
            _date(spec.get("logicalDate")),
            _date(spec.get("dataIntervalStart")),
            _date(spec.get("dataIntervalEnd")),
        ),
        logical_date=parse_time(status.get("logicalDate")),
        data_interval=DataInterval(start, end) if start and end else None,
        state=state,
        start_date=parse_time(status.get("startDate")),
        end_date=parse_time(status.get("endDate")),
        task_states=task_states,
        holding=holding,
        waiting=waiting,
        waits_on_past=waits_on_past,
        backfill=_backfill_of(meta),
        clear_id=clear.get("id"),
        clear_pending=bool(clear) and clear.get("id") != status.get("handledClear"),
        run_id=status.get("runId"),
        triggered_by=(meta.get("annotations") or {}).get(labels.TRIGGERED_BY),
        watches=frozenset(watches),
        dag_version=status.get("dagVersion"),
    )
