"""Configuration files of the real node: containerd, its CNI network, the kubelet.

Each setting here was needed on these machines (VMs with cgroup v1, root, every
capability but CAP_SYS_RESOURCE); the why is next to it. Everything a node writes
lives under one state directory, so several stacks can share a machine and a stack
is removed by removing its directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CNI_BIN_DIR = Path("/usr/lib/cni")  # Debian's containernetworking-plugins
POD_SUBNET = "10.88.0.0/16"
BRIDGE = "kairflow0"
CNI_NETWORK = "kairflow"


@dataclass(frozen=True)
class NodePaths:
    """Where one node keeps its state: containerd's and the kubelet's."""

    root: Path

    @property
    def containerd_config(self) -> Path:
        return self.root / "containerd.toml"

    @property
    def containerd_socket(self) -> Path:
        return self.root / "containerd.sock"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet.yaml"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def ca_file(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def kubelet_serving(self) -> Path:
        """The stem of the kubelet's serving key pair (`.crt`, `.key`)."""
        return self.pki / "kubelet-serving"

    def kubeconfig(self, component: str) -> Path:
        return self.root / f"{component}.kubeconfig"


def containerd_config(paths: NodePaths, sandbox_image: str) -> str:
    """containerd's own config: its root, state and sockets under the node's directory."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{paths.root / "containerd"}"
state = "{paths.root / "containerd-state"}"
[grpc]
  address = "{paths.containerd_socket}"
[ttrpc]
  address = "{paths.containerd_socket}.ttrpc"
[debug]
  address = "{paths.root / "containerd-debug.sock"}"
[metrics]
  address = ""
[{cri}]
  # Images are built here and imported, never pulled: the pause image too.
  sandbox_image = "{sandbox_image}"
  # runc cannot lower oom_score_adj without CAP_SYS_RESOURCE: without this every pod
  # sandbox fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  disable_apparmor = true
  # Pod network namespaces live under the node's state, so removing a node finds them.
  netns_mounts_under_state_dir = true
  [{cri}.cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{paths.cni_conf_dir}"
  [{cri}.containerd]
    snapshotter = "overlayfs"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
"""


def cni_conflist(paths: NodePaths) -> str:
    """A bridge network with host-local addresses: every pod gets an IP of its own."""
    ipam = {
        "type": "host-local",
        "ranges": [[{"subnet": POD_SUBNET}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        # Addresses handed out are remembered in the node's directory, not /var/lib/cni.
        "dataDir": str(paths.root / "cni-ipam"),
    }
    bridge = {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": True, "ipam": ipam}
    network = {"cniVersion": "0.4.0", "name": CNI_NETWORK, "plugins": [bridge]}
    return json.dumps(network, indent=2) + "\n"


def kubelet_config(paths: NodePaths, address: str, port: int) -> str:
    """A KubeletConfiguration for a node that shares its machine with other work.

    Its API (logs, exec) is served with a certificate from the cluster's CA and takes
    callers the apiserver vouches for: client certificates from the same CA, each
    request authorized by the apiserver (Webhook), as on any production node.
    """
    lines = [
        "apiVersion: kubelet.config.k8s.io/v1beta1",
        "kind: KubeletConfiguration",
        "cgroupDriver: cgroupfs",  # cgroup v1 without systemd as init
        "failSwapOn: false",
        f"address: {address}",
        f"port: {port}",
        "readOnlyPort: 0",
        "healthzPort: 0",
        f"tlsCertFile: {paths.kubelet_serving}.crt",
        f"tlsPrivateKeyFile: {paths.kubelet_serving}.key",
        "authentication:",
        "  anonymous: {enabled: false}",
        "  webhook: {enabled: true}",
        f"  x509: {{clientCAFile: {paths.ca_file}}}",
        "authorization: {mode: Webhook}",
        # kube-proxy owns the iptables rules Services need; the kubelet's own chains
        # (KUBE-FIREWALL...) would only be more for the sweep to remove.
        "makeIPTablesUtilChains: false",
        # The disk and memory are shared: evict only when nearly exhausted, and never
        # garbage-collect the locally built images (they cannot be pulled back).
        "evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}",
        "imageGCHighThresholdPercent: 100",
        "imageGCLowThresholdPercent: 99",
        # No cluster DNS here: pods reach the apiserver through the env variables the
        # kubelet injects (KUBERNETES_SERVICE_HOST) and kube-proxy's Service rules.
        "resolvConf: /etc/resolv.conf",
    ]
    return "\n".join(lines) + "\n"


def kubelet_args(paths: NodePaths, node_name: str, node_ip: str) -> list[str]:
    """The kubelet's command-line flags (those that are not in its config file in 1.20)."""
    return [
        f"--config={paths.kubelet_config}",
        f"--kubeconfig={paths.kubeconfig('kubelet')}",
        f"--root-dir={paths.kubelet_root}",
        f"--cert-dir={paths.root / 'kubelet-pki'}",
        "--container-runtime=remote",
        f"--container-runtime-endpoint=unix://{paths.containerd_socket}",
        f"--hostname-override={node_name}",
        # The machine's own address: the apiserver reaches the kubelet there (logs, exec),
        # and it is not loopback, which the kubelet refuses as a node IP.
        f"--node-ip={node_ip}",
    ]


def kube_proxy_args(
    paths: NodePaths, node_name: str, healthz_port: int, metrics_port: int
) -> list[str]:
    """kube-proxy in iptables mode: Service ClusterIPs (the apiserver's among them) work
    from inside pods."""
    return [
        f"--kubeconfig={paths.kubeconfig('kube-proxy')}",
        "--proxy-mode=iptables",
        f"--cluster-cidr={POD_SUBNET}",
        f"--hostname-override={node_name}",
        # 0 leaves the host's conntrack table size alone (setting it needs a writable /sys).
        "--conntrack-max-per-core=0",
        f"--healthz-bind-address=127.0.0.1:{healthz_port}",
        f"--metrics-bind-address=127.0.0.1:{metrics_port}",
    ]
