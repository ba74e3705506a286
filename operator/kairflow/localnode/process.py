"""One container of a pod, run as a local process group.

Shared by `kairflow dags test` and the node agent so both run tasks the same way:
command + args from the container spec, its environment, a private working
directory, output to a log file, the XCom file redirected to a local path, the
pod's activeDeadlineSeconds enforced, and termination of the whole process group
(SIGTERM, grace period, SIGKILL) so no child outlives its task. `poll()` never
blocks, so an asyncio loop can drive it too; an asyncio caller terminates with
`terminate()` (SIGTERM, returns at once), keeps polling, and calls
`kill(grace=0)` when its own grace timer runs out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

XCOM_ENV = "KAIRFLOW_XCOM_FILE"
# Read a little more than the 4 KiB limit so an oversize XCom is reported as such.
_XCOM_READ_LIMIT = 64 * 1024


class UnsupportedContainer(ValueError):
    """The container asks for something a local process cannot do."""


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int
    reason: str  # Completed | Error | DeadlineExceeded | Killed
    started_at: datetime
    finished_at: datetime
    termination_message: str | None


def container_argv(container: Mapping[str, Any]) -> list[str]:
    """The command line Kubernetes would run (command + args; no image entrypoint here)."""
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    argv = command + args
    if not command:
        raise UnsupportedContainer(
            f"container {container.get('name')!r} has no command: a local process cannot use "
            "the image's entrypoint"
        )
    # `python` may not be on PATH where python3 is: use this interpreter then.
    if argv[0] in ("python", "python3") and shutil.which(argv[0]) is None:
        argv[0] = sys.executable
    return argv


def container_env(
    container: Mapping[str, Any], resolved: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The process environment: PATH and HOME from the host, then the container's `env`.
    `valueFrom` entries must be resolved by the caller into `resolved` (the node agent
    reads ConfigMaps/Secrets through the API; `dags test` cannot)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    env.update(resolved or {})
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif item.get("valueFrom") is not None and item["name"] not in env:
            raise UnsupportedContainer(
                f"env {item['name']!r} uses valueFrom, which needs a cluster to resolve"
            )
        else:
            env.setdefault(item["name"], "")
    return env


class LocalProcess:
    """A container's process group with Kubernetes-like outcomes."""

    def __init__(
        self,
        argv: list[str],
        env: Mapping[str, str],
        workdir: Path,
        log_path: Path,
        deadline_seconds: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        xcom_path: Path | None = None,
    ) -> None:
        """`xcom_path` is where $KAIRFLOW_XCOM_FILE points (default: a file in
        `workdir`); containers sharing one working directory need one each."""
        self.clock = clock
        self.argv = argv
        self.workdir = workdir
        self.log_path = log_path
        self.xcom_path = xcom_path or workdir / ".kairflow-xcom"
        self.env = {**env, XCOM_ENV: str(self.xcom_path)}
        self.deadline_seconds = deadline_seconds
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_mono = 0.0
        self._started_at: datetime | None = None
        self._killed_reason: str | None = None
        self.result: ProcessResult | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def started_at(self) -> datetime | None:
        return self._started_at

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.argv,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._started_mono = time.monotonic()
        self._started_at = self.clock()

    def poll(self) -> ProcessResult | None:
        """The outcome once the process has ended; enforces the deadline. Never blocks."""
        if self.result is not None or self._proc is None:
            return self.result
        if (
            self.deadline_seconds is not None
            and self._killed_reason is None
            and time.monotonic() - self._started_mono >= self.deadline_seconds
        ):
            self.kill("DeadlineExceeded", grace=0)
        code = self._proc.poll()
        if code is None:
            return None
        self._reap_group()
        reason = self._killed_reason or ("Completed" if code == 0 else "Error")
        # Like a kubelet: a signal-killed container exits 128 + signal number.
        exit_code = 128 - code if code < 0 else code
        assert self._started_at is not None
        self.result = ProcessResult(
            exit_code, reason, self._started_at, self.clock(), self._read_xcom()
        )
        return self.result

    def kill(self, reason: str = "Killed", grace: float = 30.0) -> None:
        """SIGTERM the group, SIGKILL after `grace` seconds (checked by `poll`/`wait`)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._killed_reason = reason
        self._signal(signal.SIGTERM if grace > 0 else signal.SIGKILL)
        if grace > 0:
            deadline = time.monotonic() + grace
            while self._proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            self._signal(signal.SIGKILL)

    def terminate(self, reason: str = "Killed") -> None:
        """SIGTERM the group and return at once (for callers that must not block).
        The caller keeps calling `poll()` and escalates with `kill(reason, grace=0)`."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._killed_reason = reason
        self._signal(signal.SIGTERM)

    def wait(self, timeout: float | None = None) -> ProcessResult | None:
        end = None if timeout is None else time.monotonic() + timeout
        while (result := self.poll()) is None:
            if end is not None and time.monotonic() >= end:
                return None
            time.sleep(0.01)
        return result

    def _signal(self, sig: int) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)

    def _reap_group(self) -> None:
        # Children that outlived the main process (`sleep 100 &`) die with the task.
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)

    def _read_xcom(self) -> str | None:
        try:
            with self.xcom_path.open("rb") as handle:
                data = handle.read(_XCOM_READ_LIMIT)
        except FileNotFoundError:
            return None
        return data.decode(errors="replace")
