"""The agent's Node: registration, heartbeats (Lease + Ready condition), shutdown.

Like a kubelet, the agent renews a Lease in `kube-node-lease` (named after the
node, owned by it) and refreshes the Ready condition's lastHeartbeatTime every
heartbeat interval, so kube-controller-manager's node lifecycle controller never
marks the node NotReady, taints it or evicts its pods. On shutdown the Node is kept
and marked NotReady (reason NodeAgentStopped): pods bound to it stay visible, and
the next agent with the same name makes it Ready again. Deleting the Node instead
would let the pod garbage collector delete every pod bound to it.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from kairflow import __version__
from kairflow.core import labels as keys
from kairflow.core.times import kube_micro_time, kube_time
from kairflow.localnode.kapi import (
    MERGE_PATCH,
    KubeError,
    call,
    coordination_api,
    core_api,
    version_api,
)
from kairflow.localnode.pod_status import HOST_IP
from kairflow.localnode.settings import NodeSettings

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"
VERSION_SUFFIX = "-kairflow-localnode"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le"}


def _read(path: str, default: str = "") -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.platform()


def _memory_ki() -> int:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def _disk_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path).total
    except OSError:
        return 0


def node_info(kubelet_version: str) -> dict[str, str]:
    machine_id = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    return {
        "machineID": machine_id,
        "systemUUID": _read("/sys/class/dmi/id/product_uuid") or machine_id,
        "bootID": _read("/proc/sys/kernel/random/boot_id"),
        "kernelVersion": platform.release(),
        "osImage": _os_image(),
        "containerRuntimeVersion": f"kairflow-localnode://{__version__}",
        "kubeletVersion": kubelet_version,
        "kubeProxyVersion": kubelet_version,
        "operatingSystem": "linux",
        "architecture": _ARCH.get(platform.machine(), platform.machine()),
    }


def labels(settings: NodeSettings) -> dict[str, str]:
    arch = _ARCH.get(platform.machine(), platform.machine())
    return {
        "kubernetes.io/hostname": settings.node_name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": arch,
        keys.LOCALNODE: "true",
        **settings.extra_labels,
    }


_PRESSURE = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


def conditions(
    ready: bool, now: datetime, previous: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Node conditions with a fresh heartbeat; transition times kept when unchanged."""
    items = [(kind, "False", reason, message) for kind, reason, message in _PRESSURE]
    if ready:
        items.append(
            ("Ready", "True", "KubeletReady", "kairflow localnode is posting ready status")
        )
    else:
        items.append(("Ready", "False", "NodeAgentStopped", "kairflow localnode stopped"))
    before = {c.get("type"): c for c in previous or []}
    result = []
    for kind, state, reason, message in items:
        old = before.get(kind) or {}
        same = old.get("status") == state
        result.append(
            {
                "type": kind,
                "status": state,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": kube_time(now),
                "lastTransitionTime": (old.get("lastTransitionTime") if same else None)
                or kube_time(now),
            }
        )
    return result


def node_status(
    settings: NodeSettings,
    port: int,
    kubelet_version: str,
    ready: bool,
    now: datetime,
    previous: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    resources = {
        "cpu": str(os.cpu_count() or 1),
        "memory": f"{_memory_ki()}Ki",
        "pods": str(settings.capacity),
        "ephemeral-storage": str(_disk_bytes(settings.resolved_workdir())),
    }
    return {
        "capacity": resources,
        "allocatable": resources,
        "conditions": conditions(ready, now, previous),
        "addresses": [
            {"type": "InternalIP", "address": HOST_IP},
            {"type": "Hostname", "address": settings.node_name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        "nodeInfo": node_info(kubelet_version),
    }


class NodeRegistration:
    """Registers the Node and keeps it alive."""

    def __init__(self, api: client.ApiClient, settings: NodeSettings, port: int) -> None:
        self.core = core_api(api)
        self.leases = coordination_api(api)
        self.version_api = version_api(api)
        self.settings = settings
        self.name = settings.node_name
        self.port = port
        self.kubelet_version = "v0.0.0" + VERSION_SUFFIX
        self.uid: str | None = None
        self.conditions: list[dict[str, Any]] = []
        self.timeout = settings.request_timeout

    async def register(self) -> None:
        version = await call(self.version_api.get_code(_preload_content=False))
        self.kubelet_version = f"{version.get('gitVersion') or 'v0.0.0'}{VERSION_SUFFIX}"
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.name, "labels": labels(self.settings)},
        }
        try:
            node = await call(self.core.create_node(body, _preload_content=False))
            log.info("node %s registered", self.name)
        except KubeError as exc:
            if exc.status != 409:
                raise
            node = await call(
                self.core.patch_node(
                    self.name,
                    {"metadata": {"labels": labels(self.settings)}},
                    _content_type=MERGE_PATCH,
                    _preload_content=False,
                )
            )
            log.info("node %s existed: registered again", self.name)
        self.uid = node["metadata"]["uid"]
        self.conditions = list((node.get("status") or {}).get("conditions") or [])
        await self._post_status(ready=True)
        await self._renew_lease()

    async def heartbeat(self) -> None:
        """Renew the Lease and refresh the Ready heartbeat; re-register if deleted."""
        try:
            await self._renew_lease()
            await self._post_status(ready=True)
        except KubeError as exc:
            if exc.status != 404:
                raise
            log.warning("node %s was deleted: registering it again", self.name)
            await self.register()

    async def mark_not_ready(self) -> None:
        await self._post_status(ready=False)
        log.info("node %s marked NotReady", self.name)

    async def _post_status(self, ready: bool) -> None:
        status = node_status(
            self.settings,
            self.port,
            self.kubelet_version,
            ready,
            datetime.now(UTC),
            self.conditions,
        )
        await call(
            self.core.patch_node_status(
                self.name,
                {"status": status},
                _content_type=MERGE_PATCH,
                _preload_content=False,
                _request_timeout=self.timeout,
            )
        )
        self.conditions = status["conditions"]

    async def _renew_lease(self) -> None:
        lease_spec = {
            "holderIdentity": self.name,
            "leaseDurationSeconds": self.settings.lease_duration_seconds,
            "renewTime": kube_micro_time(datetime.now(UTC)),
        }
        try:
            await call(
                self.leases.patch_namespaced_lease(
                    self.name,
                    LEASE_NAMESPACE,
                    {"spec": lease_spec},
                    _content_type=MERGE_PATCH,
                    _preload_content=False,
                    _request_timeout=self.timeout,
                )
            )
            return
        except KubeError as exc:
            if exc.status != 404:
                raise
        owner = {"apiVersion": "v1", "kind": "Node", "name": self.name, "uid": self.uid}
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "ownerReferences": [owner]},
            "spec": lease_spec,
        }
        try:
            await call(
                self.leases.create_namespaced_lease(
                    LEASE_NAMESPACE, body, _preload_content=False, _request_timeout=self.timeout
                )
            )
        except KubeError as exc:
            if exc.status != 409:
                raise
