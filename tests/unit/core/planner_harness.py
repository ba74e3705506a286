"""Drive the pure planner to the end of a run with scripted pod outcomes and an
injected clock: a fake kubelet, no I/O, no sleeps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus, XComRef
from kairflow.core import callbacks
from kairflow.core.deferred import Surroundings
from kairflow.core.planner import plan
from kairflow.core.run_model import (
    Capacity,
    CreateDagRun,
    CreatePod,
    DeletePod,
    ObservedPod,
    Plan,
    PlannerSettings,
    PodPhase,
    PreviousRun,
    ReadSealed,
    RecordEvent,
    RunContext,
    SealBlock,
)
from kairflow.core.sealed_blocks import assemble
from kairflow.core.status_size import bounded
from kairflow.core.xcom_frame import frame

T0 = datetime(2024, 1, 2, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """What a pod does: exit code, XCom text, how long it runs."""

    exit_code: int = 0
    xcom: str | None = None
    seconds: float = 1.0
    reason: str | None = None
    message: str | None = None
    phase: PodPhase | None = None  # force e.g. PENDING forever
    stored: XComRef | str | None = None
    """A big XCom as the controller stored it (or why it could not): see big_xcom."""
    big_value: Any = None


OK = Outcome()


def big_xcom(value: Any, store_error: str | None = None, seconds: float = 1.0) -> Outcome:
    """A task that pushes a big XCom: its pointer in the termination message, and the
    value in a ConfigMap as the controller would store it (or `store_error`)."""
    raw = json.dumps(value).encode()
    pointer, _ = frame(raw)
    digest = hashlib.sha256(raw).hexdigest()
    ref = XComRef(config_map=f"xcom-{digest[:12]}", size=len(raw), sha256=digest)
    return Outcome(xcom=pointer, stored=store_error or ref, big_value=value, seconds=seconds)


def fail(code: int = 1) -> Outcome:
    return Outcome(exit_code=code)


def xcom(value: str) -> Outcome:
    return Outcome(xcom=value)


def make_spec(tasks: list[dict[str, Any]], flow: list[str] | None = None, **extra: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": tasks, "flow": flow or [], **extra})


def make_run(spec: DAGSpec, **kw: Any) -> RunContext:
    defaults: dict[str, Any] = {
        "namespace": "ns",
        "dag_name": "d",
        "name": "d-manual-20240101t000000",
        "uid": "uid-1",
        "run_type": "manual",
        "run_id": "manual__2024-01-01T00:00:00+00:00",
        "logical_date": datetime(2024, 1, 1, tzinfo=UTC),
        "data_interval_start": datetime(2024, 1, 1, tzinfo=UTC),
        "data_interval_end": datetime(2024, 1, 2, tzinfo=UTC),
        "spec": spec,
    }
    defaults.update(kw)
    return RunContext(**defaults)


@dataclass
class Pod:
    key: str
    manifest: dict[str, Any]
    created: datetime
    outcome: Outcome

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])


@dataclass
class Simulation:
    run: RunContext
    script: Mapping[str, list[Outcome] | Callable[[Pod], Outcome]] = field(default_factory=dict)
    now: datetime = T0
    capacity: Capacity = field(default_factory=Capacity)
    previous: PreviousRun | None = None
    settings: PlannerSettings = field(default_factory=PlannerSettings)
    status: DagRunStatus = field(default_factory=DagRunStatus)
    pods: dict[str, Pod] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    events: list[RecordEvent] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    started: list[tuple[datetime, str]] = field(default_factory=list)
    surroundings: Surroundings = field(default_factory=Surroundings)
    created_runs: list[CreateDagRun] = field(default_factory=list)
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Sealed blocks written (`SealBlock`): name -> their records (wire form)."""
    _tries: dict[str, int] = field(default_factory=dict)

    def outcome_for(self, pod: Pod) -> Outcome:
        rule = self.script.get(pod.key) or self.script.get(pod.key.split("[")[0])
        if rule is None:
            return OK
        if callable(rule):
            return rule(pod)
        index = self._tries.get(pod.key, 0)
        self._tries[pod.key] = index + 1
        return rule[min(index, len(rule) - 1)]

    def observed(self) -> list[ObservedPod]:
        out = []
        for pod in self.pods.values():
            done_at = pod.created + timedelta(seconds=pod.outcome.seconds)
            o = pod.outcome
            if o.phase is not None:
                out.append(
                    ObservedPod(
                        pod.name,
                        o.phase,
                        reason=o.reason,
                        message=o.message,
                        created_at=pod.created,
                    )
                )
            elif self.now < done_at:
                out.append(
                    ObservedPod(
                        pod.name, PodPhase.RUNNING, created_at=pod.created, started_at=pod.created
                    )
                )
            else:
                out.append(
                    ObservedPod(
                        pod.name,
                        PodPhase.SUCCEEDED if o.exit_code == 0 else PodPhase.FAILED,
                        exit_code=o.exit_code,
                        reason=o.reason,
                        termination_message=o.xcom,
                        created_at=pod.created,
                        started_at=pod.created,
                        finished_at=done_at,
                        stored_xcom=o.stored,
                    )
                )
        return out

    def stored_xcoms(self) -> dict[str, Any]:
        """What the controller reads back: every big XCom stored so far."""
        return {
            p.outcome.stored.config_map: p.outcome.big_value
            for p in self.pods.values()
            if isinstance(p.outcome.stored, XComRef)
        }

    def step(self) -> Plan:
        sealed: dict[str, TaskInstanceStatus] = {}

        def make(capacity: Capacity) -> Plan:
            return plan(
                self.run,
                self.status,
                self.observed(),
                self.now,
                previous=self.previous,
                capacity=capacity,
                settings=self.settings,
                stored_xcoms=self.stored_xcoms(),
                surroundings=self.surroundings,
                sealed_records=sealed,
            )

        # Sized as the controller sizes each pass.
        limit = self.settings.max_status_bytes
        result = bounded(make, self.capacity, limit, self.now, self.status)
        read: set[str] = set()
        while asked := [
            a for a in result.actions if isinstance(a, ReadSealed) and not read >= set(a.names)
        ]:
            # As the controller does: read the blocks asked for, and plan again.
            for name in (n for a in asked for n in a.names):
                read.add(name)
                for key, record in self.blocks.get(name, {}).items():
                    sealed[key] = TaskInstanceStatus.model_validate(record)
            result = bounded(make, self.capacity, limit, self.now, self.status)
        self.plans.append(result)
        for action in result.actions:
            if isinstance(action, CreatePod):
                pod = Pod(action.key, action.manifest, self.now, OK)
                pod.outcome = self.outcome_for(pod)
                assert pod.name not in self.pods, f"duplicate pod {pod.name}"
                self.pods[pod.name] = pod
                self.started.append((self.now, action.key))
            elif isinstance(action, DeletePod):
                self.deleted.append(action.name)
                self.pods.pop(action.name, None)
            elif isinstance(action, CreateDagRun):
                self.created_runs.append(action)
            elif isinstance(action, SealBlock):
                self.blocks.update(action.parts)
            elif isinstance(action, ReadSealed):
                raise AssertionError(f"asked for {action.names} again after reading them")
            else:
                self.events.append(action)
        self.status = result.status
        return result

    def assembled(self) -> DagRunStatus:
        """The run as readers show it: its sealed instances put back."""
        wire = assemble(self.run.name, self.status.to_wire(), self.blocks)
        return DagRunStatus.model_validate(wire)

    def next_change(self, wake_at: datetime | None) -> datetime | None:
        ends = [
            p.created + timedelta(seconds=p.outcome.seconds)
            for p in self.pods.values()
            if p.outcome.phase is None
            and p.created + timedelta(seconds=p.outcome.seconds) > self.now
        ]
        candidates = [t for t in [*ends, wake_at] if t is not None]
        return min(candidates) if candidates else None

    def run_to_end(self, max_steps: int = 500) -> DagRunStatus:
        for _ in range(max_steps):
            result = self.step()
            if result.status.state in ("success", "failed"):
                return self.status
            nxt = self.next_change(result.wake_at)
            if nxt is None:
                return self.status
            self.now = max(nxt, self.now)
        raise AssertionError("run did not finish")

    def run_to_quiet(self, max_steps: int = 500) -> DagRunStatus:
        """To the end of the run and of every callback it fired."""
        for _ in range(max_steps):
            result = self.step()
            if result.status.state in ("success", "failed") and not callbacks.pending(
                result.status
            ):
                return self.status
            nxt = self.next_change(result.wake_at)
            if nxt is None:
                return self.status
            self.now = max(nxt, self.now)
        raise AssertionError("run or callbacks did not finish")

    def states(self) -> dict[str, str]:
        """Every task instance's state, sealed ones included (`assembled`)."""
        return {k: ti.state.value for k, ti in self.assembled().task_instances.items()}

    def start_time(self, key: str, nth: int = 0) -> datetime:
        return [t for t, k in self.started if k == key][nth]
