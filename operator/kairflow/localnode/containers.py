"""One container of a pod on the local node: its process, restarts, logs, status.

Layout of a pod's directory (removed when the pod object is deleted):

    <workdir>/pods/<namespace>_<name>_<uid>/
        work/                         the working directory of every container
        logs/<container>.log          stdout + stderr of the current instance
        logs/<container>.previous.log the instance before the last restart
        termination/<container>       where $KAIRFLOW_XCOM_FILE points
        pids/<container>.pid          the process group, for a restarted agent

The container's `workingDir` is ignored (it names a path in the image); all
containers of a pod share `work/`, as they would share an emptyDir.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kairflow.core.times import kube_time
from kairflow.localnode import pidfiles
from kairflow.localnode.process import LocalProcess, ProcessResult

MAX_TERMINATION_MESSAGE = 4096
"""Bytes of a termination message a kubelet keeps."""
FALLBACK_LINES, FALLBACK_BYTES = 80, 2048
"""terminationMessagePolicy FallbackToLogsOnError: the log's tail, like a kubelet."""
BACKOFF_MAX = 300.0
"""The longest wait before a restart (CrashLoopBackOff), like a kubelet's."""


@dataclass(frozen=True)
class PodDirs:
    root: Path

    @classmethod
    def of(cls, workdir: Path, namespace: str, name: str, uid: str) -> PodDirs:
        return cls(workdir / "pods" / f"{namespace}_{name}_{uid}")

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    def log(self, container: str, previous: bool = False) -> Path:
        return self.root / "logs" / f"{container}{'.previous' if previous else ''}.log"

    def termination(self, container: str) -> Path:
        return self.root / "termination" / container


def cut(message: str, limit: int = MAX_TERMINATION_MESSAGE) -> str:
    """At most `limit` bytes of UTF-8, never half a character."""
    return message.encode()[:limit].decode(errors="ignore")


def log_tail(path: Path, lines: int = FALLBACK_LINES, limit: int = FALLBACK_BYTES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read()
    except OSError:
        return ""
    text = b"\n".join(data.split(b"\n")[-lines - 1 :])
    return text[-limit:].decode(errors="ignore")


class ContainerRun:
    """A container's process (one instance at a time) and its Kubernetes status."""

    def __init__(self, spec: Mapping[str, Any], dirs: PodDirs, init: bool = False) -> None:
        self.spec = spec
        self.name = str(spec["name"])
        self.dirs = dirs
        self.init = init
        self.process: LocalProcess | None = None
        self.restart_count = 0
        self.state: dict[str, Any] = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state: dict[str, Any] = {}
        self.restart_at: float | None = None
        """Monotonic time of the next start after a backoff (None: no restart due)."""
        self.exit_code: int | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.result is None

    @property
    def terminated(self) -> dict[str, Any] | None:
        value = self.state.get("terminated")
        return value if value else None

    @property
    def succeeded(self) -> bool:
        return self.terminated is not None and self.terminated.get("exitCode") == 0

    def waiting(self, reason: str, message: str | None = None) -> None:
        self.state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}

    def start(self, argv: list[str], env: Mapping[str, str], now: datetime) -> None:
        log = self.dirs.log(self.name)
        if self.restart_count and log.exists():
            log.replace(self.dirs.log(self.name, previous=True))
        termination = self.dirs.termination(self.name)
        termination.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            termination.unlink()
        process = LocalProcess(
            argv, env, self.dirs.work, log, clock=lambda: datetime.now(UTC), xcom_path=termination
        )
        process.start()  # OSError when the command cannot run: nothing started then
        self.process = process
        assert process.pid is not None
        pidfiles.record(self.dirs.pids / f"{self.name}.pid", process.pid)
        self.restart_at = None
        self.state = {"running": {"startedAt": kube_time(process.started_at or now)}}

    def failed_to_start(self, message: str, now: datetime) -> None:
        """The process could not be started at all (like a runtime's StartError)."""
        self.exit_code = 128
        self.state = {
            "terminated": {
                "exitCode": 128,
                "reason": "StartError",
                "message": cut(message),
                "startedAt": kube_time(now),
                "finishedAt": kube_time(now),
            }
        }

    def poll(self) -> bool:
        """Notice the process's end (never blocks); True when the state changed."""
        if self.process is None or self.terminated is not None:
            return False
        result = self.process.poll()
        if result is None:
            return False
        with contextlib.suppress(FileNotFoundError):
            (self.dirs.pids / f"{self.name}.pid").unlink()
        self.state = {"terminated": self._terminated(result)}
        self.exit_code = result.exit_code
        return True

    def _terminated(self, result: ProcessResult) -> dict[str, Any]:
        terminated: dict[str, Any] = {
            "exitCode": result.exit_code,
            "reason": "Completed" if result.exit_code == 0 else "Error",
            "startedAt": kube_time(result.started_at),
            "finishedAt": kube_time(result.finished_at),
            "containerID": self.container_id,
        }
        message = result.termination_message or ""
        if (
            not message
            and result.exit_code != 0
            and self.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        ):
            message = log_tail(self.dirs.log(self.name))
        if message:
            terminated["message"] = cut(message)
        return terminated

    def schedule_restart(self, now_mono: float, backoff: float) -> None:
        """After a finished instance: wait (CrashLoopBackOff) and start again; the
        wait starts at `backoff` seconds and doubles with every restart."""
        delay = min(backoff * 2**self.restart_count, BACKOFF_MAX)
        self.last_state = dict(self.state)
        self.restart_count += 1
        self.restart_at = now_mono + delay
        self.process = None
        self.waiting(
            "CrashLoopBackOff",
            f"back-off {delay:.0f}s restarting failed container={self.name}",
        )

    def terminate(self, reason: str) -> None:
        if self.running:
            assert self.process is not None
            self.process.terminate(reason)

    def kill(self, reason: str) -> None:
        if self.process is not None:
            self.process.kill(reason, grace=0)

    @property
    def container_id(self) -> str:
        pid = self.process.pid if self.process else None
        return f"localnode://{pid}" if pid else ""

    def status(self, image_note: str = "") -> dict[str, Any]:
        running = bool(self.state.get("running"))
        return {
            "name": self.name,
            "image": str(self.spec.get("image") or image_note),
            "imageID": "",
            "containerID": self.container_id,
            "ready": self.succeeded if self.init else running,
            "started": running,
            "restartCount": self.restart_count,
            "state": self.state,
            "lastState": self.last_state,
        }
