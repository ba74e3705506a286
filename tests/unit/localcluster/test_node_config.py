"""The real node's configuration files: valid syntax, and every setting these machines need."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from kairflow.localcluster import node_config
from kairflow.localcluster.node_config import NodePaths

PATHS = NodePaths(Path("/state/node"))
PAUSE = "localhost/kairflow/pause:k8s-1.20.2"


def _containerd() -> dict[str, Any]:
    return tomllib.loads(node_config.containerd_config(PATHS, PAUSE))


def _kubelet() -> dict[str, Any]:
    return yaml.safe_load(node_config.kubelet_config(PATHS, "192.0.2.2", 10350))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "setting, expected",
    [
        pytest.param(
            lambda c: c["root"],
            "/state/node/containerd",
            id="containerd keeps its images under the node's directory",
        ),
        pytest.param(
            lambda c: c["state"],
            "/state/node/containerd-state",
            id="containerd keeps its state under the node's directory",
        ),
        pytest.param(
            lambda c: c["grpc"]["address"],
            "/state/node/containerd.sock",
            id="containerd listens on the node's own socket",
        ),
        pytest.param(
            lambda c: c["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"],
            PAUSE,
            id="pod sandboxes use the locally built pause image",
        ),
        pytest.param(
            lambda c: c["plugins"]["io.containerd.grpc.v1.cri"]["restrict_oom_score_adj"],
            True,
            id="sandboxes start without CAP_SYS_RESOURCE",
        ),
        pytest.param(
            lambda c: c["plugins"]["io.containerd.grpc.v1.cri"]["cni"]["bin_dir"],
            "/usr/lib/cni",
            id="CNI plugins come from Debian's package",
        ),
        pytest.param(
            lambda c: c["plugins"]["io.containerd.grpc.v1.cri"]["cni"]["conf_dir"],
            "/state/node/cni",
            id="the pod network is the node's own",
        ),
    ],
)
def test_containerd_config(setting: Any, expected: object) -> None:
    assert setting(_containerd()) == expected


def test_pods_get_addresses_from_a_bridge_with_host_local_ipam_kept_under_the_node() -> None:
    network = json.loads(node_config.cni_conflist(PATHS))
    (bridge,) = network["plugins"]
    assert bridge["type"] == "bridge"
    assert bridge["ipam"]["type"] == "host-local"
    assert bridge["ipam"]["ranges"] == [[{"subnet": node_config.POD_SUBNET}]]
    assert bridge["ipam"]["dataDir"] == "/state/node/cni-ipam"
    assert network["name"] == "kairflow"


@pytest.mark.parametrize(
    "key, expected",
    [
        pytest.param(
            "cgroupDriver", "cgroupfs", id="the kubelet drives cgroup v1 directly, without systemd"
        ),
        pytest.param("failSwapOn", False, id="the kubelet starts on a machine with swap"),
        pytest.param("address", "192.0.2.2", id="the kubelet's API serves the node's address only"),
        pytest.param("port", 10350, id="the kubelet's API uses the port it is given"),
        pytest.param("readOnlyPort", 0, id="no unauthenticated read-only port"),
        pytest.param("makeIPTablesUtilChains", False, id="only kube-proxy writes iptables chains"),
        pytest.param(
            "authentication",
            {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": "/state/node/pki/ca.crt"},
            },
            id="the kubelet's API takes only callers with a certificate of the cluster's CA",
        ),
        pytest.param(
            "authorization",
            {"mode": "Webhook"},
            id="the apiserver authorizes every call to the kubelet's API",
        ),
        pytest.param(
            "tlsCertFile",
            "/state/node/pki/kubelet-serving.crt",
            id="the kubelet serves with a certificate the apiserver can verify",
        ),
        pytest.param(
            "imageGCHighThresholdPercent", 100, id="local images are never garbage-collected"
        ),
    ],
)
def test_kubelet_config(key: str, expected: object) -> None:
    assert _kubelet()[key] == expected


def test_the_kubelet_talks_to_the_nodes_containerd_and_keeps_its_files_under_the_node() -> None:
    args = node_config.kubelet_args(PATHS, "kairflow-local", "192.0.2.2")
    assert "--container-runtime=remote" in args
    assert "--container-runtime-endpoint=unix:///state/node/containerd.sock" in args
    assert "--root-dir=/state/node/kubelet" in args
    assert "--config=/state/node/kubelet.yaml" in args
    assert "--kubeconfig=/state/node/kubelet.kubeconfig" in args
    assert "--hostname-override=kairflow-local" in args
    assert "--node-ip=192.0.2.2" in args


def test_pod_network_namespaces_live_under_the_nodes_state() -> None:
    cri = _containerd()["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["netns_mounts_under_state_dir"] is True


def test_kube_proxy_programs_iptables_for_the_pod_network_and_serves_on_loopback() -> None:
    args = node_config.kube_proxy_args(PATHS, "kairflow-local", 10256, 10249)
    assert "--proxy-mode=iptables" in args
    assert f"--cluster-cidr={node_config.POD_SUBNET}" in args
    assert "--kubeconfig=/state/node/kube-proxy.kubeconfig" in args
    assert "--healthz-bind-address=127.0.0.1:10256" in args
    assert "--metrics-bind-address=127.0.0.1:10249" in args
