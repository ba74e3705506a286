"""The real node: containerd, kubelet, kube-scheduler and kube-proxy, joined to the
local control plane the way a node joins any cluster.

- containerd runs with its own root, state and socket under the node's directory,
  CNI from Debian's plugins (a bridge with host-local addresses);
- the kubelet authenticates to the apiserver with a client certificate
  (`system:node:<name>`, group `system:nodes`, authorized by the Node authorizer) and
  serves its own API (logs, exec) with a certificate from the cluster's CA, taking
  only callers the apiserver vouches for;
- kube-scheduler binds pods; kube-proxy turns Service ClusterIPs into iptables
  rules, so a pod reaches the apiserver at `kubernetes.default` as on any cluster;
- images are never pulled: the locally built archives are imported at start.

One real node per machine: pod network, NAT rules and kubepods cgroups are the
machine's. A record in /run/kairflow says which node owns them; a node whose owner
died is swept (node_sweep) before the next one starts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kairflow.localcluster import node_config, pki
from kairflow.localcluster.binaries import NodeBinaries
from kairflow.localcluster.images import import_into_containerd
from kairflow.localcluster.kubeconfig import write_kubeconfig
from kairflow.localcluster.node_config import CNI_BIN_DIR, NodePaths
from kairflow.localcluster.node_sweep import sweep
from kairflow.localcluster.processes import pid_alive, stop_group

NODE_NAME = "kairflow-local"
# Start order; stopped in reverse.
PROCESSES = ("containerd", "kubelet", "kube-scheduler", "kube-proxy")

Spawn = Callable[[str, list[str | Path]], int]


class NodeUnavailable(RuntimeError):
    """This machine cannot run a real node now; the message says why."""


def unavailable_reason() -> str | None:
    """Why this machine cannot run a real node, or None when it can."""
    if os.geteuid() != 0:
        return "the real node needs root (the kubelet manages cgroups, mounts and netns)"
    for tool, package in (
        ("containerd", "containerd"),
        ("runc", "runc"),
        ("ctr", "containerd"),
        ("iptables", "iptables"),
    ):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian package {package})"
    if not (CNI_BIN_DIR / "bridge").exists():
        return f"no CNI plugins in {CNI_BIN_DIR} (Debian package containernetworking-plugins)"
    if not Path("/sys/fs/cgroup/memory").is_dir():
        return "the kubelet 1.20 here needs cgroup v1 (no /sys/fs/cgroup/memory)"
    return None


def host_address() -> str:
    """The machine's own address, which pods can reach (unlike loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this picks a route
            address: str = probe.getsockname()[0]
        except OSError as exc:
            raise NodeUnavailable(f"no non-loopback address for pods to reach: {exc}") from exc
    if address.startswith("127."):
        raise NodeUnavailable("no non-loopback address for pods to reach the apiserver")
    return address


@dataclass(frozen=True)
class Join:
    """What the node needs of the control plane."""

    server: str  # the apiserver's URL on the machine's address
    ca: pki.KeyPair


def _cert_kubeconfig(path: Path, server: str, ca: Path, client: pki.KeyPair) -> None:
    user = {"client-certificate": str(client.cert), "client-key": str(client.key)}
    write_kubeconfig(path, server, user, ca)


def node_root() -> Path:
    """Where the node keeps its state: a short fixed path, one node per machine, like
    /var/lib/kubelet. Not under the cluster's directory: the kubelet's and containerd's
    unix sockets live here, and a socket path may not pass 107 bytes (a test's tmp
    directory does)."""
    return Path(os.environ.get("KAIRFLOW_NODE_ROOT", "/var/lib/kairflow/node"))


def record_path() -> Path:
    """Which node owns the machine's node state (tests point it elsewhere)."""
    return Path(os.environ.get("KAIRFLOW_NODE_RECORD", "/run/kairflow/real-node.json"))


def _holder(record: dict[str, Any]) -> list[int]:
    """The live processes of a recorded node: its owner (still starting it) or its own."""
    pids = [record.get("owner", 0), *record.get("pids", {}).values()]
    return [pid for pid in pids if pid and pid != os.getpid() and pid_alive(pid)]


def claim_machine(root: Path) -> None:
    """Record that the node at `root` owns the machine's node state; sweep a dead owner's."""
    record = record_path()
    if record.exists():
        previous = json.loads(record.read_text())
        alive = _holder(previous)
        if alive:
            raise NodeUnavailable(
                f"a real node already runs on this machine ({previous['root']}, pids {alive}); "
                "stop it first (kairflow dev down, or the test run that owns it)"
            )
        sweep(Path(previous["root"]))
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"root": str(root), "owner": os.getpid(), "pids": {}}))


def record_pids(root: Path, pids: dict[str, int]) -> None:
    record = {"root": str(root), "owner": os.getpid(), "pids": pids}
    record_path().write_text(json.dumps(record))


def release_machine(root: Path, pids: dict[str, int], proxy: Path | None) -> None:
    """Stop the node's processes (reverse start order) and leave nothing behind."""
    for name in reversed(PROCESSES):
        pid = pids.get(name)
        if pid:
            stop_group(pid, grace=5)
    if proxy is not None:
        # kube-proxy removes its own chains (KUBE-SERVICES...) from every table.
        subprocess.run(
            [str(proxy), "--cleanup"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    sweep(root)
    record = record_path()
    try:
        if json.loads(record.read_text()).get("root") == str(root):
            record.unlink()
    except (OSError, ValueError):
        pass


class RealNode:
    """Started by its cluster (`start`), after the cluster claimed the machine for it;
    `release_machine` stops and sweeps it."""

    def __init__(
        self,
        root: Path,
        join: Join,
        binaries: NodeBinaries,
        images: Sequence[Path],
        sandbox_image: str,
        address: str,
        free_port: Callable[[], int],
    ) -> None:
        self.paths = NodePaths(root)
        self.join = join
        self.binaries = binaries
        self.images = images
        self.sandbox_image = sandbox_image
        self.address = address
        self.free_port = free_port
        self.pids: dict[str, int] = {}

    def start(self, spawn: Spawn, check_alive: Callable[[], None]) -> dict[str, int]:
        paths = self.paths  # the machine is claimed for it (claim_machine) by its cluster
        self._write_files()
        self.pids["containerd"] = spawn(
            "containerd", ["containerd", "--config", paths.containerd_config]
        )
        record_pids(paths.root, self.pids)
        _wait_for(paths.containerd_socket.is_socket, "containerd's socket", check_alive)
        for archive in self.images:
            import_into_containerd(str(paths.containerd_socket), archive)
        binaries = self.binaries
        self.pids["kubelet"] = spawn(
            "kubelet",
            [binaries.kubelet, *node_config.kubelet_args(paths, NODE_NAME, self.address)],
        )
        self.pids["kube-scheduler"] = spawn(
            "kube-scheduler",
            [
                binaries.kube_scheduler,
                f"--kubeconfig={paths.kubeconfig('kube-scheduler')}",
                "--leader-elect=false",
                "--port=0",
                "--secure-port=0",
            ],
        )
        self.pids["kube-proxy"] = spawn(
            "kube-proxy",
            [
                binaries.kube_proxy,
                *node_config.kube_proxy_args(paths, NODE_NAME, self.free_port(), self.free_port()),
            ],
        )
        record_pids(paths.root, self.pids)
        return self.pids

    def _write_files(self) -> None:
        paths, join = self.paths, self.join
        paths.pki.mkdir(parents=True, exist_ok=True)
        paths.cni_conf_dir.mkdir(exist_ok=True)
        shutil.copyfile(join.ca.cert, paths.ca_file)
        paths.containerd_config.write_text(node_config.containerd_config(paths, self.sandbox_image))
        (paths.cni_conf_dir / "10-kairflow.conflist").write_text(node_config.cni_conflist(paths))
        pki.make_serving_cert(
            join.ca, paths.pki, paths.kubelet_serving.name, [self.address, NODE_NAME], NODE_NAME
        )
        paths.kubelet_config.write_text(
            node_config.kubelet_config(paths, self.address, self.free_port())
        )
        clients = {
            "kubelet": (f"system:node:{NODE_NAME}", ("system:nodes",)),
            "kube-scheduler": ("system:kube-scheduler", ()),
            "kube-proxy": ("system:kube-proxy", ()),
        }
        for component, (user, groups) in clients.items():
            client = pki.make_client_cert(join.ca, paths.pki, component, user, groups)
            _cert_kubeconfig(paths.kubeconfig(component), join.server, paths.ca_file, client)


def _wait_for(ready: Callable[[], bool], what: str, check_alive: Callable[[], None]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        check_alive()
        if ready():
            return
        time.sleep(0.1)
    raise NodeUnavailable(f"{what} did not appear within 60s")
