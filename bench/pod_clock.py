"""When each task's pod was seen in each phase, from the bench's own pod watch."""

from __future__ import annotations

import threading
import time

from kubernetes import watch
from tests.integration.kube import Kube

NS = "bench"


class PodClock:
    """When each task's pod was first seen ADDED, Running and Succeeded."""

    def __init__(self, kube: Kube, tasks: int, run: str | None = None) -> None:
        self._selector = f"kairflow.io/dag-run={run}" if run else ""
        self.added: dict[str, float] = {}
        self.running: dict[str, float] = {}
        self.succeeded: dict[str, float] = {}
        self._tasks = tasks
        self._thread = threading.Thread(target=self._watch, args=(kube,), daemon=True)
        self._thread.start()

    def _watch(self, kube: Kube) -> None:
        stream = watch.Watch().stream(
            kube.core.list_namespaced_pod, NS, label_selector=self._selector, timeout_seconds=600
        )
        for event in stream:
            pod = event["object"]
            task = pod.metadata.labels["kairflow.io/task"]
            now = time.monotonic()
            self.added.setdefault(task, now)
            if pod.status.phase in ("Running", "Succeeded"):
                self.running.setdefault(task, now)
            if pod.status.phase == "Succeeded":
                self.succeeded.setdefault(task, now)
            if len(self.succeeded) == self._tasks:
                return
