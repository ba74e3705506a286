"""Finding (or building once) the local cluster's binaries.

The control plane: etcd, kube-apiserver, kube-controller-manager. The real node:
kubelet, kube-scheduler and kube-proxy, located separately so that the control plane alone
(the integration tests, envtest assets) never waits on a node build.

Lookup order for each binary, first hit wins:
1. an explicit variable: KAIRFLOW_ETCD, KAIRFLOW_KUBE_APISERVER,
   KAIRFLOW_KUBE_CONTROLLER_MANAGER, KAIRFLOW_KUBELET, KAIRFLOW_KUBE_SCHEDULER,
   KAIRFLOW_KUBE_PROXY;
2. `$KUBEBUILDER_ASSETS/<name>` (envtest assets: etcd and kube-apiserver);
3. the cache `$KAIRFLOW_K8S_CACHE` (default ~/.cache/kairflow/k8s-1.20.2);
4. `PATH` (Debian's etcd-server puts etcd there);
5. otherwise `build-k8s.sh` installs etcd-server and builds the Kubernetes binaries
   missing from the cache, from Debian's source package (a few minutes each, once
   per machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

K8S_VERSION = "1.20.2"
_CONTROL_PLANE_ENV = {
    "etcd": "KAIRFLOW_ETCD",
    "kube-apiserver": "KAIRFLOW_KUBE_APISERVER",
    "kube-controller-manager": "KAIRFLOW_KUBE_CONTROLLER_MANAGER",
}
_NODE_ENV = {
    "kubelet": "KAIRFLOW_KUBELET",
    "kube-scheduler": "KAIRFLOW_KUBE_SCHEDULER",
    "kube-proxy": "KAIRFLOW_KUBE_PROXY",
}
_ENV = {**_CONTROL_PLANE_ENV, **_NODE_ENV}
BUILD_SCRIPT = Path(__file__).with_name("build-k8s.sh")


class BinariesNotFound(RuntimeError):
    """A control-plane binary is missing and could not be built."""


@dataclass(frozen=True)
class Binaries:
    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path


@dataclass(frozen=True)
class NodeBinaries:
    kubelet: Path
    kube_scheduler: Path
    kube_proxy: Path


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("KAIRFLOW_K8S_CACHE", default / "kairflow" / f"k8s-{K8S_VERSION}"))


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK) and path.stat().st_size > 0


def find_binary(name: str) -> Path | None:
    explicit = os.environ.get(_ENV[name])
    if explicit:
        path = Path(explicit)
        if not _executable(path):
            raise BinariesNotFound(f"{_ENV[name]}={explicit} is not an executable file")
        return path
    candidates = []
    if assets := os.environ.get("KUBEBUILDER_ASSETS"):
        candidates.append(Path(assets) / name)
    candidates.append(cache_dir() / name)
    for candidate in candidates:
        if _executable(candidate):
            return candidate
    on_path = shutil.which(name)
    return Path(on_path) if on_path else None


def build_kubernetes(dest: Path) -> None:
    """Install etcd and build the Kubernetes binaries missing from `dest`."""
    result = subprocess.run(["bash", str(BUILD_SCRIPT), str(dest)], check=False)
    if result.returncode != 0:
        raise BinariesNotFound(
            f"building Kubernetes {K8S_VERSION} failed (exit {result.returncode}); "
            f"see the output above, or set KUBEBUILDER_ASSETS to envtest binaries"
        )


def _locate(names: list[str], build: bool) -> dict[str, Path]:
    found = {name: find_binary(name) for name in names}
    if build and not all(found.values()):
        build_kubernetes(cache_dir())
        found = {name: find_binary(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        hint = "install Debian's etcd-server" if "etcd" in missing else "allow the source build"
        variables = ", ".join(_ENV[name] for name in missing)
        raise BinariesNotFound(
            f"missing {', '.join(missing)}: {hint}, or set {variables} (or KUBEBUILDER_ASSETS)"
        )
    return {name: path for name, path in found.items() if path is not None}


def locate_binaries(build: bool = True) -> Binaries:
    """Find every control-plane binary, building the Kubernetes ones when allowed and missing."""
    found = _locate(list(_CONTROL_PLANE_ENV), build)
    return Binaries(
        etcd=found["etcd"],
        kube_apiserver=found["kube-apiserver"],
        kube_controller_manager=found["kube-controller-manager"],
    )


def locate_node_binaries(build: bool = True) -> NodeBinaries:
    """Find kubelet, kube-scheduler and kube-proxy, building them when allowed and missing."""
    found = _locate(list(_NODE_ENV), build)
    return NodeBinaries(
        kubelet=found["kubelet"],
        kube_scheduler=found["kube-scheduler"],
        kube_proxy=found["kube-proxy"],
    )
