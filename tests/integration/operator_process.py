"""The operator as a real process (`python -m kairflow.operator`), to kill and restart.

Each process watches one namespace (`--namespace`) labelled kairflow.io/ignore=true,
so the session's in-process operator (which watches all namespaces) leaves that
namespace alone, and has a peering name of its own (KAIRFLOW_PEERING), so replicas
of one test only ever peer with each other.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client

from kairflow.controller.handlers import IGNORE_LABEL
from kairflow.localcluster.cluster import free_port
from kairflow.localcluster.processes import spawn
from tests.integration.kube import Kube, wait_for

# `python -m kairflow.operator`, with the pod event handler delayed for a while.
_SLOW_PODS = """
import asyncio, sys, time
from kairflow.controller import handlers
from kairflow.cli.main import main

until, on_pod = time.monotonic() + {delay}, handlers.on_pod

async def slow_on_pod(**kwargs):
    await asyncio.sleep(max(0.0, until - time.monotonic()))
    await on_pod(**kwargs)

handlers.on_pod = slow_on_pod
sys.argv = ["kairflow", "operator", *sys.argv[1:]]
main()
"""


@dataclass
class OperatorProcess:
    """One `python -m kairflow.operator` process; stdout and stderr go to `log_path`."""

    kubeconfig: Path
    namespace: str
    peering: str
    log_path: Path
    standby: bool = False
    metrics_port: int = field(default_factory=free_port)
    liveness_port: int = field(default_factory=free_port)
    slow_pod_events: float = 0
    """Hold back pod events for this many seconds after start: a pod list that comes
    in after the DagRun list, as with many pods in a big cluster."""
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Extra KAIRFLOW_* settings for this process."""

    def start(self) -> OperatorProcess:
        if self.slow_pod_events:
            boot = _SLOW_PODS.format(delay=self.slow_pod_events)
            argv = [sys.executable, "-c", boot, "--namespace", self.namespace]
        else:
            argv = [sys.executable, "-m", "kairflow.operator", "--namespace", self.namespace]
        argv += ["--metrics-port", str(self.metrics_port)]
        argv += ["--liveness-port", str(self.liveness_port), "-v"]
        if self.standby:
            argv.append("--standby")
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            **({"KAIRFLOW_PEERING": self.peering} if self.peering else {}),
            **self.env,
        }
        # Own process group, SIGKILLed if pytest dies: no operator outlives the test run.
        self.proc = spawn(argv, self.log_path, env=env)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def get(self, path: str, port: int | None = None) -> tuple[int, str] | None:
        """(HTTP status, body) of GET http://127.0.0.1:PORT/path; None when unreachable."""
        url = f"http://127.0.0.1:{port or self.liveness_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None

    def metrics(self) -> str:
        got = self.get("/metrics", self.metrics_port)
        assert got is not None and got[0] == 200, f"no metrics on :{self.metrics_port}"
        return got[1]

    def wait_ready(self, timeout: float = 30) -> OperatorProcess:
        """Until its liveness endpoint answers 200 (kopf is up, startup handler done)."""

        def ready() -> bool:
            assert self.alive(), f"operator exited:\n{self.log()[-3000:]}"
            got = self.get("/healthz")
            return got is not None and got[0] == 200

        wait_for(ready, timeout=timeout, interval=0.1, what=f"operator {self.pid} ready")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def signal(self, signum: signal.Signals) -> None:
        if self.alive():
            os.killpg(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye to the peers, like a node dying."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@dataclass
class OperatorFactory:
    kubeconfig: Path
    namespace: str
    peering: str
    log_dir: Path
    started: list[OperatorProcess] = field(default_factory=list)

    def start(
        self, standby: bool = False, slow_pod_events: float = 0, env: dict[str, str] | None = None
    ) -> OperatorProcess:
        number = len(self.started) + 1
        process = OperatorProcess(
            self.kubeconfig,
            self.namespace,
            self.peering,
            self.log_dir / f"operator-{number}{'-standby' if standby else ''}.log",
            standby=standby,
            slow_pod_events=slow_pod_events,
            env=env or {},
        )
        self.started.append(process)
        return process.start()


@contextmanager
def operators(
    kubeconfig: Path, namespace: str, log_dir: Path, peered: bool = False
) -> Iterator[OperatorFactory]:
    """Start operator processes for `namespace`; every one is SIGKILLed on exit.
    `peered`: the processes share a peering name of their own (active/standby)."""
    peering = f"kf-{uuid.uuid4().hex[:8]}" if peered else ""
    factory = OperatorFactory(kubeconfig, namespace, peering, log_dir)
    try:
        yield factory
    finally:
        for process in factory.started:
            process.kill()


@contextmanager
def own_namespace(kube: Kube, prefix: str) -> Iterator[str]:
    """A fresh namespace that only this test's operator processes serve (labelled
    kairflow.io/ignore=true, which operators watching all namespaces skip), with its
    default service account ready; deleted afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    meta = client.V1ObjectMeta(name=name, labels={IGNORE_LABEL: "true"})
    kube.core.create_namespace(client.V1Namespace(metadata=meta))
    try:
        wait_for(
            lambda: any(
                sa.metadata.name == "default"
                for sa in kube.core.list_namespaced_service_account(name).items
            ),
            timeout=30,
            what=f"service account default in {name}",
        )
        yield name
    finally:
        kube.core.delete_namespace(name)
