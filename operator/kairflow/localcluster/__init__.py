"""A real, local Kubernetes control plane: etcd + kube-apiserver + kube-controller-manager.

For tests and the demo on machines without a cluster (no Docker, no kind). The
binaries come from `KUBEBUILDER_ASSETS` or explicit env vars, a cache, or a one-time
source build (see `build-k8s.sh`).
"""

from kairflow.localcluster.binaries import (
    Binaries,
    BinariesNotFound,
    NodeBinaries,
    locate_binaries,
    locate_node_binaries,
)
from kairflow.localcluster.cluster import ClusterInfo, LocalCluster

__all__ = [
    "Binaries",
    "BinariesNotFound",
    "ClusterInfo",
    "LocalCluster",
    "NodeBinaries",
    "locate_binaries",
    "locate_node_binaries",
]
