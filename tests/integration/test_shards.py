"""Sharded replicas (KAIRFLOW_SHARDS=on, docs/sharding.md) on the real apiserver: two
operator processes split six DAGs, each DAG's runs made by exactly one of them (its
Events name the replica), and when one is SIGKILLed the other takes its DAGs over once
its Lease has expired.

Both are `python -m kairflow.operator --namespace NS` processes with identities of
their own; their Leases live in NS (the first watched namespace)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from kubernetes import client

from kairflow.core import labels
from kairflow.core.sharding import dag_shard_key, rendezvous_owner
from tests.integration.helpers import dag, events_for, manual_run, sample, wait_run_state
from tests.integration.kube import Kube, wait_for
from tests.integration.kubelet import AutoKubelet, FakeKubelet
from tests.integration.operator_process import OperatorProcess, operators, own_namespace

pytestmark = pytest.mark.integration

LEASE = 6  # seconds: renewals every 1.2 s, hand-over margin 2 s, newcomers wait 6 s
IDENTITIES = ("shard-1", "shard-2")


def split_dags(namespace: str) -> list[str]:
    """Six DAG names that rendezvous hashing spreads over both replicas in `namespace`.
    The namespace's name is random, and d0..d5 alone fall to one replica once in 32
    namespaces: both tests then waited for a split that could never come."""
    names = [f"d{i}" for i in range(5)]
    owners = {rendezvous_owner(dag_shard_key(namespace, n), IDENTITIES) for n in names}
    for i in range(5, 100):
        last = f"d{i}"
        if len(owners | {rendezvous_owner(dag_shard_key(namespace, last), IDENTITIES)}) == 2:
            return [*names, last]
    raise AssertionError("no split found")  # (1/2)^95: cannot happen


def shard_env(identity: str) -> dict[str, str]:
    return {
        "KAIRFLOW_SHARDS": "on",
        "KAIRFLOW_SHARD_IDENTITY": identity,
        "KAIRFLOW_SHARD_LEASE_DURATION": f"{LEASE}s",
    }


def owned(process: OperatorProcess) -> float:
    return sample(process.metrics(), "kairflow_shard_dags") or 0.0


def finished(process: OperatorProcess, dag_name: str) -> float:
    metrics = process.metrics()
    return sample(metrics, "kairflow_dag_runs_finished_total", dag=dag_name, state="success") or 0


def reporters(kube: Kube, namespace: str, run: str) -> set[str]:
    """The replicas that posted Events on `run` (RunStarted, RunSucceeded...)."""
    events = events_for(kube, namespace, run)
    return {e.reporting_instance for e in events if e.reporting_component == "kairflow"}


def run_all(kube: Kube, namespace: str, dags: list[str], suffix: str) -> None:
    for name in dags:
        kube.create(namespace, "dagruns", manual_run(f"{name}-{suffix}", name))
    for name in dags:
        wait_run_state(kube, namespace, f"{name}-{suffix}", "success", timeout=LEASE * 5)


def test_two_replicas_split_the_dags_and_one_takes_over_when_the_other_dies(
    kube: Kube, tmp_path: Path
) -> None:
    with (
        own_namespace(kube, "shards") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
        AutoKubelet(FakeKubelet(kube, ns)),
    ):
        dags = split_dags(ns)
        for name in dags:
            kube.create(ns, "dags", dag(name, [{"name": "a", "bash": "true"}]))
        first, second = (ops.start(env=shard_env(i)).wait_ready() for i in IDENTITIES)

        def leases() -> bool:
            found = kube.kubectl("get", "leases", "-n", ns, "-l", f"{labels.SHARD_GROUP}=kairflow")
            return all(f"kairflow-shard-{i} " in found.stdout for i in IDENTITIES)

        wait_for(leases, what="a Lease for each replica")
        wait_for(
            lambda: owned(first) > 0 and owned(second) > 0 and owned(first) + owned(second) == 6,
            timeout=LEASE * 4,
            what="both replicas owning DAGs",
        )

        # Each DAG's run is made by exactly one replica, the DAG's owner.
        run_all(kube, ns, dags, "1")
        owner = {}
        for name in dags:
            counts = (finished(first, name), finished(second, name))
            assert sorted(counts) == [0, 1], f"{name}: runs finished by each {counts}"
            owner[name] = IDENTITIES[counts.index(1)]
            assert reporters(kube, ns, f"{name}-1") == {owner[name]}
        dead_dags = sorted(n for n in dags if owner[n] == IDENTITIES[0])
        assert dead_dags and len(dead_dags) < len(dags)

        first.kill()  # no goodbye: its Lease stays until it expires
        killed = time.monotonic()
        for name in dags:
            kube.create(ns, "dagruns", manual_run(f"{name}-2", name))
        wait_run_state(kube, ns, f"{dead_dags[0]}-2", "success", timeout=LEASE * 5)
        takeover = time.monotonic() - killed
        print(f"takeover: {dead_dags[0]}-2 succeeded {takeover:.1f}s after shard-1 was killed")
        for name in dags:
            wait_run_state(kube, ns, f"{name}-2", "success", timeout=LEASE * 5)
            assert finished(second, name) == (1 if owner[name] == IDENTITIES[0] else 2)
            assert reporters(kube, ns, f"{name}-2") == {IDENTITIES[1]}
        assert owned(second) == 6
        assert "shard shard-2: owns 6 DAGs" in second.log()


def test_a_replica_stopped_cleanly_releases_its_lease_and_the_other_takes_over_at_once(
    kube: Kube, tmp_path: Path
) -> None:
    with (
        own_namespace(kube, "shards-stop") as ns,
        operators(kube.kubeconfig, ns, tmp_path) as ops,
        AutoKubelet(FakeKubelet(kube, ns)),
    ):
        dags = split_dags(ns)
        for name in dags:
            kube.create(ns, "dags", dag(name, [{"name": "a", "bash": "true"}]))
        # A long Lease (expiry and margin: 40 s): only a released one can be taken over
        # within the wait below (a poll is 6 s).
        slow = {**shard_env(IDENTITIES[0]), "KAIRFLOW_SHARD_LEASE_DURATION": "30s"}
        first = ops.start(env=slow).wait_ready()
        second = ops.start(env={**slow, "KAIRFLOW_SHARD_IDENTITY": IDENTITIES[1]}).wait_ready()
        wait_for(
            lambda: owned(first) > 0 and owned(second) > 0 and owned(first) + owned(second) == 6,
            timeout=120,
            what="both replicas owning DAGs",
        )
        first.signal(signal.SIGTERM)
        stopped = time.monotonic()
        first.proc.wait(timeout=30)  # type: ignore[union-attr]
        leases = client.CoordinationV1Api(kube.api)
        lease = leases.read_namespaced_lease(f"kairflow-shard-{IDENTITIES[0]}", ns)
        assert lease.spec.holder_identity is None, "released: no holder"
        wait_for(lambda: owned(second) == 6, timeout=20, what="the other owning all six")
        handover = time.monotonic() - stopped
        print(f"hand-over after SIGTERM: {handover:.1f}s (Lease duration 30s)")
        run_all(kube, ns, dags, "1")
        assert all(reporters(kube, ns, f"{name}-1") == {IDENTITIES[1]} for name in dags)
