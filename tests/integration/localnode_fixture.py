"""Running the development node agent in integration tests.

Agents run in-process on a thread (`kairflow.localnode.threaded.start_in_thread`)
against the session's real control plane. Each agent only binds pods of its test's
namespace, so agents of different tests never race for the same pods; before an
agent stops, the test's pods are deleted through it (so the namespace can go).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kubernetes import client

from kairflow.localnode.agent import NodeAgent
from kairflow.localnode.settings import NodeSettings
from kairflow.localnode.threaded import AgentThread, start_in_thread
from tests.integration.kube import Kube, wait_for

SCHEDULER = "kairflow-localnode"


def agent_settings(kube: Kube, node_name: str, namespace: str, workdir: Path) -> NodeSettings:
    """Short intervals, so tests wait on conditions for little time."""
    return NodeSettings(
        node_name=node_name,
        capacity=8,
        namespaces=(namespace,),
        workdir=workdir,
        kubeconfig=kube.kubeconfig,
        heartbeat_interval=0.5,
        config_retry_seconds=0.3,
        restart_backoff_seconds=0.2,
        shutdown_grace_seconds=2.0,
        poll_interval=0.02,
    )


@dataclass
class LocalNodes:
    """Starts agents for one test; stops them (after deleting the test's pods)."""

    kube: Kube
    namespace: str
    base: NodeSettings
    running: list[AgentThread] = field(default_factory=list)

    def start(self, **overrides: Any) -> NodeAgent:
        thread = start_in_thread(replace(self.base, **overrides), timeout=30)
        self.running.append(thread)
        return thread.agent

    def stop(self, agent: NodeAgent) -> None:
        for thread in self.running:
            if thread.agent is agent:
                self.running.remove(thread)
                thread.stop()
                assert not thread.thread.is_alive(), "node agent did not stop"
                return

    def close(self) -> None:
        core = self.kube.core
        if self.running:
            with contextlib.suppress(client.ApiException):
                core.delete_collection_namespaced_pod(self.namespace)
            wait_for(
                lambda: not core.list_namespaced_pod(self.namespace).items,
                timeout=30,
                what=f"pods of {self.namespace} deleted",
            )
        for thread in list(self.running):
            self.stop(thread.agent)


def pod(
    name: str,
    script: str,
    *,
    scheduler: str | None = SCHEDULER,
    env: list[dict[str, Any]] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A pod running `bash -c script` in a container named `base`."""
    container: dict[str, Any] = {
        "name": "base",
        "image": "python:3.12-slim",
        "command": ["bash", "-c", script],
        "env": env or [],
    }
    container.update(spec.pop("container", {}))
    body_spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container], **spec}
    if scheduler is not None:
        body_spec["schedulerName"] = scheduler
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": body_spec}


def create(kube: Kube, namespace: str, body: dict[str, Any]) -> None:
    kube.core.create_namespaced_pod(namespace, body)


def read(kube: Kube, namespace: str, name: str) -> dict[str, Any] | None:
    """The pod as plain JSON (camelCase), None when it is gone."""
    try:
        response = kube.core.read_namespaced_pod(name, namespace, _preload_content=False)
    except client.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    value: dict[str, Any] = json.loads(response.data)
    return value


def wait_phase(
    kube: Kube, namespace: str, name: str, *phases: str, timeout: float = 30
) -> dict[str, Any]:
    def phase() -> dict[str, Any] | None:
        found = read(kube, namespace, name)
        if found and (found.get("status") or {}).get("phase") in phases:
            return found
        return None

    return wait_for(phase, timeout=timeout, what=f"pod {name} in phase {'/'.join(phases)}")


def terminated(found: dict[str, Any], container: str = "base") -> dict[str, Any]:
    for item in found["status"].get("containerStatuses") or []:
        if item["name"] == container:
            value: dict[str, Any] = item["state"]["terminated"]
            return value
    raise AssertionError(f"no status of container {container}")


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (nobody may reap orphans here)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def pids(path: Path) -> list[int]:
    with contextlib.suppress(FileNotFoundError):
        return [int(line) for line in path.read_text().split()]
    return []
