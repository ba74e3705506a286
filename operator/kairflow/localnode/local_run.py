"""One DAG run executed locally: the real planner, each pod a local process.

This is `kairflow dags test` (Airflow's `airflow dags test`): no cluster, the same
task semantics as the operator because the same pure planner decides everything.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kairflow.api.dagrun import DagRunStatus, TaskInstanceStatus, XComRef
from kairflow.core import callbacks
from kairflow.core.deferred import Surroundings
from kairflow.core.planner import plan
from kairflow.core.run_model import (
    Action,
    Capacity,
    CreateDagRun,
    CreatePod,
    DeletePod,
    ObservedPod,
    PodPhase,
    ReadSealed,
    RecordEvent,
    RunContext,
    SealBlock,
)
from kairflow.core.sealed_blocks import assemble
from kairflow.core.xcom import Spilled, XComError, config_map_name, parse_xcom, preview
from kairflow.core.xcom_frame import load_json, log_limit, unframe
from kairflow.localnode.process import (
    LocalProcess,
    UnsupportedContainer,
    container_argv,
    container_env,
)

_POLL = 0.02


@dataclass
class LocalPod:
    name: str
    key: str
    manifest: dict[str, Any]
    created_at: datetime
    process: LocalProcess | None = None
    error: str | None = None
    reported: bool = False

    def observed(self) -> ObservedPod:
        if self.error is not None:
            return ObservedPod(
                self.name,
                PodPhase.FAILED,
                reason="CreateContainerConfigError",
                message=self.error,
                created_at=self.created_at,
                finished_at=self.created_at,
            )
        assert self.process is not None
        result = self.process.poll()
        if result is None:
            return ObservedPod(
                self.name,
                PodPhase.RUNNING,
                created_at=self.created_at,
                started_at=self.process.started_at,
            )
        return ObservedPod(
            self.name,
            PodPhase.SUCCEEDED if result.exit_code == 0 else PodPhase.FAILED,
            exit_code=result.exit_code,
            reason=result.reason,
            termination_message=result.termination_message,
            created_at=self.created_at,
            started_at=result.started_at,
            finished_at=result.finished_at,
        )

    @property
    def finished(self) -> bool:
        return self.error is not None or (
            self.process is not None and self.process.poll() is not None
        )


def _from_environment(container: dict[str, Any]) -> dict[str, str]:
    """No cluster, no Secrets: a `valueFrom` variable takes the value of the variable of
    the same name in this process' environment, when there is one (a webhook's
    KAIRFLOW_WEBHOOK_URL, a task's password); otherwise the pod fails to start."""
    names = [item["name"] for item in container.get("env") or [] if item.get("valueFrom")]
    return {name: os.environ[name] for name in names if name in os.environ}


@dataclass
class LocalRun:
    """Runs `run` to the end. `skip_waits` jumps over idle time (retry delays, poke
    intervals) with a virtual clock instead of sleeping."""

    run: RunContext
    workdir: Path
    skip_waits: bool = False
    capacity: Capacity = field(default_factory=Capacity)
    """What the run may use (its pools' slots); unlimited unless given."""
    on_status: Callable[[DagRunStatus], None] = lambda status: None
    on_event: Callable[[RecordEvent], None] = lambda event: None
    on_pod_done: Callable[[LocalPod], None] = lambda pod: None
    surroundings: Callable[[DagRunStatus], Surroundings] = lambda status: Surroundings()
    """What deferred tasks see (answers to approvals); no other DAG runs here."""
    pods: dict[str, LocalPod] = field(default_factory=dict)
    stored_xcoms: dict[str, Any] = field(default_factory=dict)
    """Big XComs read from the pods' logs, as the operator keeps them in ConfigMaps."""
    _stored: dict[str, XComRef | str] = field(default_factory=dict)
    _blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Sealed blocks (`core.sealed_blocks`), kept here as the API keeps them."""
    _sealed: dict[str, TaskInstanceStatus] = field(default_factory=dict)
    _offset: timedelta = timedelta(0)
    _seen_done: set[str] = field(default_factory=set)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def execute(self) -> DagRunStatus:
        status = DagRunStatus()
        try:
            while True:
                observed = [self._with_xcom(p, p.observed()) for p in self.pods.values()]
                # What the planner saw finished; anything finishing later wakes the loop.
                self._seen_done = {o.name for o in observed if o.finished_at is not None}
                seen = self.surroundings(status)
                result = plan(
                    self.run,
                    status,
                    observed,
                    self.now(),
                    capacity=self.capacity,
                    stored_xcoms=self.stored_xcoms,
                    surroundings=seen,
                    sealed_records=self._sealed,  # all of them: nothing to read back
                )
                status = result.status
                for action in result.actions:
                    self._apply(action)
                self._report_finished()
                self.on_status(status)
                finished = status.state is not None and status.state.finished
                if finished and not callbacks.pending(status):
                    return self._whole(status)  # a run's callbacks run to their end too
                if not finished and self.surroundings(status) != seen:
                    continue  # an answer came for a task this pass deferred: look again
                if not self._wait(result.wake_at):
                    return self._whole(status)  # nothing running or scheduled: stuck
        finally:
            for pod in self.pods.values():
                if pod.process is not None:
                    pod.process.kill(grace=2)

    def _with_xcom(self, pod: LocalPod, observed: ObservedPod) -> ObservedPod:
        """A big XCom is read from the end of the pod's log, as the operator does
        (`controller.xcom_store`), with the same checks and limit."""
        if observed.phase != PodPhase.SUCCEEDED or pod.process is None:
            return observed
        if pod.name not in self._stored:
            try:
                spilled = parse_xcom(observed.termination_message)
            except XComError:
                return observed
            if not isinstance(spilled, Spilled):
                return observed
            self._stored[pod.name] = self._read_spilled(pod.process.log_path, pod.name, spilled)
        return replace(observed, stored_xcom=self._stored[pod.name])

    def _read_spilled(self, log: Path, name: str, spilled: Spilled) -> XComRef | str:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - log_limit(spilled)))
            tail = handle.read().decode(errors="replace")
        try:
            _, raw = unframe(tail, spilled)
            value = load_json(raw)
        except XComError as exc:
            return str(exc)
        ref = XComRef(
            config_map=config_map_name(name),
            size=spilled.size,
            sha256=spilled.sha256,
            preview=preview(raw[:120].decode(errors="ignore")),
        )
        self.stored_xcoms[ref.config_map] = value
        return ref

    def _whole(self, status: DagRunStatus) -> DagRunStatus:
        """The run with its sealed instances put back, as `kairflow runs get` shows it."""
        return DagRunStatus.model_validate(assemble(self.run.name, status.to_wire(), self._blocks))

    def _apply(self, action: Action) -> None:
        if isinstance(action, CreateDagRun | ReadSealed):
            # Never asked: `dags test` shows no other DAG, so a trigger fails first;
            # every sealed record is given to each pass.
            return
        if isinstance(action, SealBlock):
            self._blocks.update(action.parts)
            self._sealed.update(
                (k, TaskInstanceStatus.model_validate(v)) for k, v in action.records.items()
            )
            return
        if isinstance(action, RecordEvent):
            self.on_event(action)
        elif isinstance(action, DeletePod):
            pod = self.pods.get(action.name)
            if pod is not None and pod.process is not None:
                pod.process.kill(reason=action.reason, grace=5)
        elif isinstance(action, CreatePod):
            self._start(action)

    def _start(self, action: CreatePod) -> None:
        name = str(action.manifest["metadata"]["name"])
        if name in self.pods:
            return
        pod = LocalPod(name, action.key, action.manifest, self.now())
        self.pods[name] = pod
        spec = action.manifest["spec"]
        container = spec["containers"][0]
        try:
            argv = container_argv(container)
            env = container_env(container, _from_environment(container))
        except UnsupportedContainer as exc:
            pod.error = str(exc)
            return
        deadline = spec.get("activeDeadlineSeconds")
        directory = self.workdir / name
        pod.process = LocalProcess(
            argv,
            env,
            directory / "work",
            directory / "log",
            float(deadline) if deadline else None,
            clock=self.now,
        )
        pod.process.start()

    def _report_finished(self) -> None:
        for pod in self.pods.values():
            if pod.finished and not pod.reported:
                pod.reported = True
                self.on_pod_done(pod)

    def _wait(self, wake_at: datetime | None) -> bool:
        """Until a process ends or `wake_at`; False when there is nothing to wait for."""
        unseen = [p for p in self.pods.values() if p.name not in self._seen_done]
        if not unseen and wake_at is None:
            return False
        running = [p for p in unseen if not p.finished]
        if not running and not unseen and self.skip_waits and wake_at is not None:
            if wake_at > self.now():
                self._offset += wake_at - self.now()
            return True
        while True:
            if any(p.finished for p in unseen):
                return True
            if wake_at is not None and self.now() >= wake_at:
                return True
            time.sleep(_POLL)

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
