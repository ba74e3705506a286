"""Where the local cluster finds its node binaries (kubelet, kube-scheduler), without building."""

from __future__ import annotations

from pathlib import Path

import pytest

from kairflow.localcluster.binaries import (
    BinariesNotFound,
    NodeBinaries,
    locate_binaries,
    locate_node_binaries,
)

_VARIABLES = ["KAIRFLOW_KUBELET", "KAIRFLOW_KUBE_SCHEDULER", "KUBEBUILDER_ASSETS", "PATH"]


def _binary(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in _VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.setenv("KAIRFLOW_K8S_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_node_binaries_come_from_the_cache_next_to_the_control_plane(cache: Path) -> None:
    kubelet, scheduler = _binary(cache, "kubelet"), _binary(cache, "kube-scheduler")
    proxy = _binary(cache, "kube-proxy")
    assert locate_node_binaries(build=False) == NodeBinaries(kubelet, scheduler, proxy)


def test_an_explicit_variable_wins_over_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _binary(cache, "kubelet")
    scheduler, proxy = _binary(cache, "kube-scheduler"), _binary(cache, "kube-proxy")
    mine = _binary(tmp_path / "mine", "kubelet")
    monkeypatch.setenv("KAIRFLOW_KUBELET", str(mine))
    assert locate_node_binaries(build=False) == NodeBinaries(mine, scheduler, proxy)


@pytest.mark.parametrize(
    "present, missing",
    [
        pytest.param(
            [], "kubelet, kube-scheduler, kube-proxy", id="an empty cache misses every node binary"
        ),
        pytest.param(
            ["kubelet", "kube-proxy"],
            "kube-scheduler",
            id="a cache with kubelet and kube-proxy only misses the scheduler",
        ),
        pytest.param(
            ["kube-scheduler", "kube-proxy", "kubelet.tmp"],
            "kubelet",
            id="a half-written kubelet is missing",
        ),
    ],
)
def test_missing_node_binaries_are_named_with_the_variable_to_set(
    cache: Path, present: list[str], missing: str
) -> None:
    for name in present:
        _binary(cache, name)
    with pytest.raises(BinariesNotFound, match=f"missing {missing}:.*KAIRFLOW_"):
        locate_node_binaries(build=False)


def test_a_control_plane_cache_without_node_binaries_still_serves_the_control_plane(
    cache: Path,
) -> None:
    paths = [_binary(cache, n) for n in ("etcd", "kube-apiserver", "kube-controller-manager")]
    found = locate_binaries(build=False)
    assert [found.etcd, found.kube_apiserver, found.kube_controller_manager] == paths
