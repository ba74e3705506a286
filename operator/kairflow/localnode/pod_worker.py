"""One pod on the local node, from bound to ended: what a kubelet's pod worker does.

Init containers run one after the other, then every container at once, each as a
local process group (the image is ignored: the agent says so once per pod). The
status follows through `pods/status`. The pod ends:

- by itself: phase Succeeded or Failed from its containers (restarts per policy);
- at activeDeadlineSeconds (counted from status.startTime): SIGTERM, the pod's
  terminationGracePeriodSeconds, SIGKILL; phase Failed, reason DeadlineExceeded;
- deleted (deletionTimestamp): SIGTERM, the deletion's grace period, SIGKILL,
  the final status, then a delete with gracePeriodSeconds=0 as a kubelet does;
- on agent shutdown: the same, with at most the agent's shutdown grace; phase
  Failed, reason NodeShutdown (the operator retries per policy).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio import client

from kairflow.core.times import parse_time
from kairflow.localnode import pod_status
from kairflow.localnode.containers import ContainerRun, PodDirs
from kairflow.localnode.env import ContainerConfigError, EnvResolver, expand
from kairflow.localnode.events import EventRecorder
from kairflow.localnode.kapi import KubeError
from kairflow.localnode.pod_api import PodApi
from kairflow.localnode.process import UnsupportedContainer, container_argv, container_env
from kairflow.localnode.scheduling import Pod, is_deleting, key, meta, spec, status
from kairflow.localnode.settings import NodeSettings

log = logging.getLogger(__name__)

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
SHUTDOWN_MESSAGE = "Pod was terminated in response to the node agent's shutdown"


class PodWorker:
    def __init__(
        self,
        api: client.ApiClient,
        settings: NodeSettings,
        pod: Pod,
        on_done: Callable[[], None] = lambda: None,
        events: EventRecorder | None = None,
    ) -> None:
        self.api = api
        self.pods = PodApi(api, settings.request_timeout)
        self.settings = settings
        self.pod = pod
        self.on_done = on_done
        self.events = events
        self.dirs = PodDirs.of(
            settings.resolved_workdir(), meta(pod)["namespace"], meta(pod)["name"], meta(pod)["uid"]
        )
        self.init = [
            ContainerRun(c, self.dirs, init=True) for c in spec(pod).get("initContainers") or []
        ]
        self.main = [ContainerRun(c, self.dirs) for c in spec(pod).get("containers") or []]
        for container in self.init[1:] + self.main:
            container.waiting("PodInitializing" if self.init else "ContainerCreating")
        self.changed = asyncio.Event()
        self.active = True
        """Holds one of the node's slots (until its processes are gone)."""
        self.finished = False
        self.gone = False
        self.shutting_down = False
        self.stop_reason: str | None = None
        self.kill_at: float | None = None
        self.retry_at = 0.0
        self.written: dict[str, Any] | None = None
        self.conditions: list[dict[str, Any]] = list(status(pod).get("conditions") or [])
        self.start_time = parse_time(status(pod).get("startTime")) or datetime.now(UTC)
        deadline = spec(pod).get("activeDeadlineSeconds")
        elapsed = (datetime.now(UTC) - self.start_time).total_seconds()
        self.deadline_at = time.monotonic() + float(deadline) - elapsed if deadline else None

    @property
    def containers(self) -> list[ContainerRun]:
        return self.init + self.main

    @property
    def restart_policy(self) -> str:
        return str(spec(self.pod).get("restartPolicy") or "Always")

    def update(self, pod: Pod) -> None:
        self.pod = pod
        self.changed.set()

    def vanish(self) -> None:
        """The pod object is gone (force-deleted): stop its processes."""
        self.gone = True
        self.changed.set()

    def shutdown(self) -> None:
        self.shutting_down = True
        self.changed.set()

    async def run(self) -> None:
        try:
            images = ", ".join(sorted({str(c.spec.get("image")) for c in self.containers}))
            note = f"image {images} ignored: commands run as local processes"
            log.info("pod %s: %s", key(self.pod), note)
            self._event("ImageIgnored", note[0].upper() + note[1:])
            self.dirs.work.mkdir(parents=True, exist_ok=True)
            await self._loop()
            await self._finish()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("pod %s: the node agent failed running it", key(self.pod))
            for container in self.containers:
                container.kill("Killed")
            if not self.gone:  # never leave it Running with nothing behind it
                with contextlib.suppress(Exception):
                    message = f"the node agent failed: {exc!r}"
                    await self.pods.fail(self.pod, "NodeAgentError", message)
        finally:
            for container in self.containers:
                container.kill("Killed")
                container.poll()
            self.active = False
            self.finished = True
            self.on_done()

    async def _loop(self) -> None:
        while True:
            now = time.monotonic()
            self._check_stop(now)
            for container in self.containers:
                container.poll()
            if self.stop_reason is not None:
                if not any(c.running for c in self.containers):
                    return
                if self.kill_at is not None and now >= self.kill_at:
                    for container in self.containers:
                        container.kill(self.stop_reason)
            elif self._ended():
                return
            else:
                await self._advance(now)
            await self._sync_status()
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), self._wait_seconds())

    def _wait_seconds(self) -> float:
        """Until the next check: processes are polled; timers are met on time."""
        if self.stop_reason is not None or any(c.running for c in self.containers):
            return self.settings.poll_interval
        now = time.monotonic()
        timers = [self.retry_at, self.deadline_at, *(c.restart_at for c in self.containers)]
        due = [t - now for t in timers if t is not None and t > now]
        return min([1.0, *due])

    def _grace(self) -> float:
        grace = spec(self.pod).get("terminationGracePeriodSeconds")
        return float(self.settings.default_grace_seconds if grace is None else grace)

    def _check_stop(self, now: float) -> None:
        reason, grace = None, self._grace()
        if self.gone:
            reason, grace = "Gone", min(grace, self.settings.shutdown_grace_seconds)
        elif is_deleting(self.pod):
            deletion = meta(self.pod).get("deletionGracePeriodSeconds")
            reason, grace = "Deleted", float(grace if deletion is None else deletion)
        elif self.shutting_down:
            reason, grace = "NodeShutdown", min(grace, self.settings.shutdown_grace_seconds)
        elif self.deadline_at is not None and now >= self.deadline_at:
            reason = "DeadlineExceeded"
        if reason is None:
            return
        kill_at = now + grace
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info("pod %s: stopping (%s, grace %.0fs)", key(self.pod), reason, grace)
            if reason == "DeadlineExceeded":
                self._event(reason, DEADLINE_MESSAGE, warning=True)
            for container in self.containers:
                if container.running:
                    self._event("Killing", f"Stopping container {container.name}", container)
                container.terminate(reason)
                container.restart_at = None
        if self.kill_at is None or kill_at < self.kill_at:
            self.kill_at = kill_at

    def _ended(self) -> bool:
        init = [c.status() for c in self.init]
        phase = pod_status.phase(self.restart_policy, init, [c.status() for c in self.main])
        return phase in ("Succeeded", "Failed")

    def _restarts(self, container: ContainerRun) -> bool:
        policy = self.restart_policy
        return policy == "Always" or (policy == "OnFailure" and not container.succeeded)

    async def _advance(self, now: float) -> None:
        """Start what should run now: the next init container, else every container."""
        for container in self.init:
            if container.succeeded:
                continue
            if container.terminated is not None and self.restart_policy != "Never":
                container.schedule_restart(now, self.settings.restart_backoff_seconds)
            elif container.terminated is None and not container.running:
                await self._start(container, now)
            return
        for container in self.main:
            if container.running:
                continue
            if container.terminated is not None:
                if self._restarts(container):
                    container.schedule_restart(now, self.settings.restart_backoff_seconds)
                continue
            await self._start(container, now)

    async def _start(self, container: ContainerRun, now: float) -> None:
        if container.restart_at is not None and now < container.restart_at:
            return
        if now < self.retry_at:
            return
        try:
            resolved = {"HOSTNAME": str(meta(self.pod).get("name"))}
            resolved.update(await EnvResolver(self.api, self.pod).resolve(container.spec))
            cmd = [expand(str(part), resolved) for part in container.spec.get("command") or []]
            args = [expand(str(part), resolved) for part in container.spec.get("args") or []]
            argv = container_argv({**container.spec, "command": cmd, "args": args})
            env = container_env({**container.spec, "env": []}, resolved)
        except (ContainerConfigError, UnsupportedContainer, KubeError) as exc:
            reason = (
                "CreateContainerError"
                if isinstance(exc, UnsupportedContainer)
                else ContainerConfigError.reason
            )
            message = exc.message if isinstance(exc, KubeError) else str(exc)
            if container.state.get("waiting", {}).get("message") != message:
                log.info("pod %s/%s: %s: %s", key(self.pod), container.name, reason, message)
                self._event("Failed", f"Error: {message}", container, warning=True)
            container.waiting(reason, message)
            self.retry_at = now + self.settings.config_retry_seconds
            return
        try:
            container.start(argv, env, datetime.now(UTC))
        except OSError as exc:  # no such executable, not executable...
            message = f"cannot run {argv[0]!r}: {exc.strerror or exc}"
            container.failed_to_start(message, datetime.now(UTC))
            self._event("Failed", f"Error: {message}", container, warning=True)
            return
        pid = container.process.pid if container.process else None
        log.info("pod %s container %s started: pid %s", key(self.pod), container.name, pid)
        self._event("Started", f"Started container {container.name} (pid {pid})", container)

    def _event(
        self,
        reason: str,
        message: str,
        container: ContainerRun | None = None,
        warning: bool = False,
    ) -> None:
        if self.events is not None:
            name = container.name if container is not None else None
            self.events.pod(self.pod, reason, message, warning, name)

    def _status(self, final: bool = False) -> dict[str, Any]:
        reason = message = forced = None
        if final and self.stop_reason == "DeadlineExceeded":
            reason, message, forced = "DeadlineExceeded", DEADLINE_MESSAGE, "Failed"
        elif final and self.stop_reason == "NodeShutdown":
            reason, message, forced = "NodeShutdown", SHUTDOWN_MESSAGE, "Failed"
        elif final and self.stop_reason is not None:
            forced = "Succeeded" if all(c.succeeded for c in self.main) else "Failed"
        return pod_status.pod_status(
            self.restart_policy,
            self.start_time,
            [c.status() for c in self.init],
            [c.status() for c in self.main],
            self.conditions,
            datetime.now(UTC),
            reason=reason,
            message=message,
            forced_phase=forced,
        )

    async def _sync_status(self) -> None:
        new = self._status()
        if new == self.written or self.gone:
            return
        try:
            await self.pods.write_status(self.pod, new)
        except KubeError as exc:
            if exc.status in (404, 409):
                self.vanish()
                return
            log.warning("pod %s: status not written: %s", key(self.pod), exc)
            return
        except (OSError, TimeoutError) as exc:
            log.warning("pod %s: status not written: %r", key(self.pod), exc)
            return
        self.written = new
        self.conditions = new["conditions"]

    async def _finish(self) -> None:
        """The processes are gone: write the final status, finish a deletion."""
        self.active = False
        self.on_done()
        if self.gone:
            return
        ran = any(c.process is not None or c.restart_count for c in self.containers)
        if not ran and self.stop_reason == "NodeShutdown":
            return  # never started: left Pending for the next agent
        if ran or not is_deleting(self.pod):
            final = self._status(final=True)
            if final != self.written and await self.pods.write_status_until_done(self.pod, final):
                self.written = final
        if is_deleting(self.pod):
            await self.pods.delete_now(self.pod)
