"""The local control plane is a real one: RBAC, token auth, service-account tokens,
garbage collection, and no processes left behind even when its owner is killed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client

from kairflow.localcluster import LocalCluster
from kairflow.localcluster.processes import pid_alive
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.integration


def test_rbac_denies_an_account_without_permissions(kube: Kube, service_account_ready: str) -> None:
    namespace = service_account_ready
    kube.core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="nobody"))
    )
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600)
    )
    token = kube.core.create_namespaced_service_account_token(
        "nobody", namespace, request
    ).status.token
    assert token.count(".") == 2  # a signed JWT from the TokenRequest API

    config = client.Configuration()
    config.host = kube.api.configuration.host
    config.ssl_ca_cert = kube.api.configuration.ssl_ca_cert
    config.api_key = {"authorization": f"Bearer {token}"}
    as_nobody = client.CoreV1Api(client.ApiClient(config))
    with pytest.raises(client.ApiException) as info:
        as_nobody.list_namespaced_pod(namespace)
    assert info.value.status == 403
    assert f"system:serviceaccount:{namespace}:nobody" in info.value.body

    config.api_key = {"authorization": "Bearer not-a-token"}
    with pytest.raises(client.ApiException) as info:
        client.CoreV1Api(client.ApiClient(config)).list_namespaced_pod(namespace)
    assert info.value.status == 401


def test_garbage_collector_deletes_owned_objects(kube: Kube, namespace: str) -> None:
    owner = kube.core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owner"))
    )
    ref = client.V1OwnerReference(
        api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid
    )
    kube.core.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owned", owner_references=[ref])),
    )
    kube.core.delete_namespaced_config_map("owner", namespace)

    def owned_gone() -> bool:
        names = [c.metadata.name for c in kube.core.list_namespaced_config_map(namespace).items]
        return "owned" not in names

    wait_for(owned_gone, timeout=60, what="the controller-manager's GC to delete `owned`")


def test_stop_leaves_no_processes() -> None:
    cluster = LocalCluster()
    info = cluster.start()
    pids = list(info.pids.values())
    assert all(pid_alive(pid) for pid in pids)
    cluster.stop()
    assert not any(pid_alive(pid) for pid in pids)
    assert not Path(info.workdir).exists()


OWNER = """
import json, sys, time
from kairflow.localcluster import LocalCluster
info = LocalCluster().start()
print(json.dumps(info.pids), flush=True)
time.sleep(600)
"""


def test_killing_the_owner_stops_the_cluster() -> None:
    """Even SIGKILL of the process that started the cluster leaves no orphans."""
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pids = list(json.loads(owner.stdout.readline()).values())
    assert len(pids) == 3 and all(pid_alive(pid) for pid in pids)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(pid_alive(pid) for pid in pids)
