"""A shard replica's Lease on the real API server (`k8s.leases.ShardLeases`): a clean
stop releases it whatever the replica last knew of it (a renewal cut short by the stop
may have landed unseen: the release reads the Lease first), and never releases a Lease
some other replica holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kairflow.k8s.client import operator_client
from kairflow.k8s.leases import ShardLeases
from tests.integration.kube import Kube

pytestmark = pytest.mark.integration


def _holder(kube: Kube, namespace: str, name: str) -> str | None:
    lease = client.CoordinationV1Api(kube.api).read_namespaced_lease(name, namespace)
    return lease.spec.holder_identity  # type: ignore[no-any-return]


def _renew_behind_its_back(kube: Kube, namespace: str, name: str) -> None:
    """A renewal that landed while its answer was lost: the Lease's resourceVersion
    moves on, the replica's copy does not."""
    coordination = client.CoordinationV1Api(kube.api)
    lease = coordination.read_namespaced_lease(name, namespace)
    lease.spec.lease_duration_seconds = 7
    coordination.replace_namespaced_lease(name, namespace, lease)


def _run(kubeconfig: Path, namespace: str, work: Callable[[ShardLeases], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with await operator_client(str(kubeconfig)) as api:
            leases = ShardLeases(api, "g", "r1", namespace, timedelta(seconds=5))
            return await work(leases)

    return asyncio.run(main())


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param("nothing", id="a lease as last written is released"),
        pytest.param("renewed", id="a lease renewed behind the replica's back is released"),
        pytest.param("forgotten", id="a lease the replica lost track of is released"),
    ],
)
def test_a_clean_stop_releases_the_replicas_lease(
    kube: Kube, kubeconfig: Path, service_account_ready: str, meanwhile: str
) -> None:
    namespace = service_account_ready

    async def work(leases: ShardLeases) -> str:
        await leases.acquire()
        assert _holder(kube, namespace, leases.name) == "r1"
        if meanwhile == "renewed":
            _renew_behind_its_back(kube, namespace, leases.name)
        elif meanwhile == "forgotten":
            leases._ours = None  # a renewal conflicted, or an acquire was cut short
        await leases.release()
        return leases.name

    name = _run(kubeconfig, namespace, work)
    assert _holder(kube, namespace, name) is None


def test_a_release_leaves_a_lease_held_by_another_replica_and_a_missing_one_alone(
    kube: Kube, kubeconfig: Path, service_account_ready: str
) -> None:
    namespace = service_account_ready

    async def work(leases: ShardLeases) -> str:
        await leases.release()  # none yet: nothing to do, no error
        await leases.acquire()
        coordination = client.CoordinationV1Api(kube.api)
        lease = coordination.read_namespaced_lease(leases.name, namespace)
        lease.spec.holder_identity = "someone-else"
        coordination.replace_namespaced_lease(leases.name, namespace, lease)
        await leases.release()
        return leases.name

    name = _run(kubeconfig, namespace, work)
    assert _holder(kube, namespace, name) == "someone-else"
