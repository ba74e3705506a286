"""The real control plane for integration tests.

By default a session starts its own etcd + kube-apiserver + kube-controller-manager
(`kairflow.localcluster`), building the binaries on first use. To run the tests
against a cluster you already have, set KAIRFLOW_TEST_CLUSTER=existing; KUBECONFIG
(or ~/.kube/config) says which one. Every test gets a fresh namespace.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from kairflow.localcluster import LocalCluster
from tests.integration.kube import Kube, apply_crds, wait_for
from tests.integration.kubelet import FakeKubelet


@pytest.fixture(scope="session")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.environ.get("KAIRFLOW_TEST_CLUSTER") == "existing":
        # Every worker runs its own operator: on one cluster they would both act.
        if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
            pytest.fail("KAIRFLOW_TEST_CLUSTER=existing runs in one process: -n0 or -n auto")
        yield Path(os.environ.get("KUBECONFIG", Path.home() / ".kube" / "config"))
        return
    cluster = LocalCluster()
    info = cluster.start()
    try:
        yield Path(info.kubeconfig)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def kube(kubeconfig: Path, repo_root: Path) -> Kube:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    kube = Kube(api=api, kubeconfig=kubeconfig)
    apply_crds(kube, repo_root / "crds")
    return kube


@pytest.fixture
def namespace(kube: Kube, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace, deleted afterwards (the namespace controller cleans up)."""
    base = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    name = f"t-{base}-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(kube.api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


@pytest.fixture
def service_account_ready(kube: Kube, namespace: str) -> str:
    """Wait until the controller-manager created the namespace's `default` account."""
    core = client.CoreV1Api(kube.api)
    wait_for(
        lambda: any(
            sa.metadata.name == "default"
            for sa in core.list_namespaced_service_account(namespace).items
        ),
        timeout=30,
        what=f"service account default in {namespace}",
    )
    return namespace


@pytest.fixture(scope="session")
def operator_settings() -> Any:
    from datetime import timedelta

    from kairflow.controller.settings import OperatorSettings

    return OperatorSettings(
        metrics_port=0,
        liveness_port=0,
        parallelism=64,
        startup_timeout=timedelta(seconds=15),
        pools={"db": 1},
    )


@pytest.fixture(scope="session")
def operator(kube: Kube, kubeconfig: Path, operator_settings: Any) -> Iterator[None]:
    """The operator, in-process on a thread of its own, for the whole session."""
    from kairflow.controller.supervisor import OperatorThread

    os.environ["KUBECONFIG"] = str(kubeconfig)
    operator = OperatorThread(operator_settings).start()
    assert operator.ready.wait(60), "operator did not become ready"
    yield
    operator.stop()
    assert operator.join(30), "the operator did not stop"
    assert operator.error is None, operator.error


@pytest.fixture
def kubelet(kube: Kube, service_account_ready: str) -> FakeKubelet:
    return FakeKubelet(kube, service_account_ready)
