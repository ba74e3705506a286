"""Playing the kubelet in integration tests: write pod status through pods/status."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client, watch

from tests.integration.kube import Background, Kube, wait_for


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeKubelet:
    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    def pods(self, task: str | None = None) -> list[Any]:
        selector = f"kairflow.io/task={task}" if task else "kairflow.io/dag-run"
        return list(
            self.kube.core.list_namespaced_pod(self.namespace, label_selector=selector).items
        )

    def wait_pod(self, task: str, try_number: int = 1, timeout: float = 30) -> Any:
        def find() -> Any:
            for pod in self.pods(task):
                if pod.metadata.labels.get("kairflow.io/try") == str(try_number):
                    return pod
            return None

        return wait_for(find, timeout=timeout, what=f"pod of {task} try {try_number}")

    def set_status(self, name: str, status: dict[str, Any]) -> None:
        self.kube.core.patch_namespaced_pod_status(name, self.namespace, {"status": status})

    def start(self, name: str) -> None:
        self.set_status(
            name,
            {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "base",
                        "ready": True,
                        "restartCount": 0,
                        "image": "x",
                        "imageID": "",
                        "state": {"running": {"startedAt": _now()}},
                    }
                ],
            },
        )

    def finish(
        self, name: str, exit_code: int = 0, message: str | None = None, reason: str | None = None
    ) -> None:
        terminated: dict[str, Any] = {
            "exitCode": exit_code,
            "startedAt": _now(),
            "finishedAt": _now(),
            "reason": "Completed" if exit_code == 0 else "Error",
        }
        if message is not None:
            terminated["message"] = message
        status: dict[str, Any] = {
            "phase": "Succeeded" if exit_code == 0 else "Failed",
            "containerStatuses": [
                {
                    "name": "base",
                    "ready": False,
                    "restartCount": 0,
                    "image": "x",
                    "imageID": "",
                    "state": {"terminated": terminated},
                }
            ],
        }
        if reason:
            status["reason"] = reason
        self.set_status(name, status)

    def run(
        self, task: str, try_number: int = 1, exit_code: int = 0, message: str | None = None
    ) -> Any:
        pod = self.wait_pod(task, try_number)
        self.start(pod.metadata.name)
        self.finish(pod.metadata.name, exit_code, message)
        return pod


class AutoKubelet(Background):
    """A background kubelet: every new pod in the namespace is run to the outcome
    `policy(pod)` gives: (exit_code, termination message), or None to leave it Pending."""

    def __init__(self, kubelet: FakeKubelet, policy: Any = lambda pod: (0, None)) -> None:
        super().__init__("auto-kubelet")
        self.kubelet = kubelet
        self.policy = policy
        self.handled: set[str] = set()

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            for pod in self.kubelet.pods():
                name = pod.metadata.name
                if name in self.handled or pod.metadata.deletion_timestamp:
                    continue
                outcome = self.policy(pod)
                self.handled.add(name)
                if outcome is None:
                    continue
                code, message = outcome
                with contextlib.suppress(client.ApiException):  # deleted meanwhile
                    self.kubelet.start(name)
                    self.kubelet.finish(name, code, message)


class WatchingKubelet:
    """A node with room for everything, for big runs: it watches the namespace's pods
    and ends each one as soon as it is created (Running, then Succeeded with exit code
    0) from `threads` threads. (AutoKubelet lists every pod each 50 ms: fine for a few,
    far too slow for 10,000.)"""

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        threads: int = 8,
        message: Callable[[dict[str, Any]], str | None] = lambda pod: None,
    ) -> None:
        """`message`: the termination message (the task's XCom) of a pod, from its
        metadata as created."""
        self.kubelet = FakeKubelet(kube, namespace)
        self.message = message
        self.todo: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self.ended = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()
        for _ in range(threads):
            threading.Thread(target=self._work, daemon=True).start()
        if not self._ready.wait(10):
            raise TimeoutError(f"the pod watch on {namespace} did not start")

    def _watch(self) -> None:
        stream = watch.Watch().stream(
            self.kubelet.kube.core.list_namespaced_pod,
            self.kubelet.namespace,
            timeout_seconds=3600,
            _preload_content=False,
        )
        self._ready.set()
        with contextlib.suppress(Exception):  # the cluster stopped under the watch
            for event in stream:
                if event["type"] == "ADDED":
                    metadata = event["raw_object"]["metadata"]
                    self.todo.put((metadata["name"], self.message(metadata)))

    def _work(self) -> None:
        while True:
            name, message = self.todo.get()
            try:
                self.kubelet.start(name)
                self.kubelet.finish(name, message=message)
            except client.ApiException:
                continue  # deleted meanwhile
            with self._lock:
                self.ended += 1
