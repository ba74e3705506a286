"""The Helm chart's ClusterRole is enough: an operator running with only a
ServiceAccount token bound to it schedules and runs a DAG and records its task's asset
event (real RBAC on the apiserver)."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from kairflow.core.assets import asset_name
from kairflow.localcluster.chart import helm_binary
from kairflow.localcluster.cluster import write_kubeconfig
from tests.integration.helpers import dag, manual_run, wait_run_state
from tests.integration.kube import Kube
from tests.integration.kubelet import FakeKubelet
from tests.integration.operator_process import operators, own_namespace

pytestmark = pytest.mark.integration
CHART = Path(__file__).resolve().parents[2] / "charts" / "kairflow"


def rendered(namespace: str, *sets: str) -> list[dict[str, object]]:
    args = [helm_binary(), "template", "rbac-test", str(CHART), "--namespace", namespace]
    for item in sets:
        args += ["--set", item]
    out = subprocess.run(
        args,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def may(
    kube: Kube, user: str, ns: str, verb: str, resource: str, sub: str = "", group: str = ""
) -> bool:
    """Whether RBAC lets `user` do `verb` on `resource` (a SubjectAccessReview)."""
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    attributes = client.V1ResourceAttributes(
        namespace=ns, verb=verb, resource=resource, subresource=sub or None, group=group
    )
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user=user, groups=groups, resource_attributes=attributes
        )
    )
    answer = client.AuthorizationV1Api(kube.api).create_subject_access_review(review)
    return bool(answer.status.allowed)


@contextmanager
def charts_rbac(kube: Kube, ns: str, tmp_path: Path, *sets: str) -> Iterator[tuple[Path, str]]:
    """The chart's ServiceAccount, roles and bindings (rendered with `sets`) in `ns`:
    (a kubeconfig with only that account's token, the account's name)."""
    rbac = client.RbacAuthorizationV1Api(kube.api)
    docs = rendered(ns, *sets)
    by_kind = {str(d["kind"]): d for d in docs}
    kube.core.create_namespaced_service_account(ns, by_kind["ServiceAccount"])
    role, binding = by_kind["ClusterRole"], by_kind["ClusterRoleBinding"]
    role["metadata"]["name"] = binding["roleRef"]["name"] = f"kairflow-{ns}"  # type: ignore[index]
    binding["metadata"]["name"] = f"kairflow-{ns}"  # type: ignore[index]
    rbac.create_cluster_role(role)
    rbac.create_cluster_role_binding(binding)
    for doc in docs:  # namespaced: deleted with the namespace
        if doc["kind"] == "Role":
            rbac.create_namespaced_role(ns, doc)
        elif doc["kind"] == "RoleBinding":
            rbac.create_namespaced_role_binding(ns, doc)
    try:
        account = by_kind["ServiceAccount"]["metadata"]["name"]  # type: ignore[index]
        token = kube.core.create_namespaced_service_account_token(
            account,
            ns,
            client.AuthenticationV1TokenRequest(
                spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
            ),
        ).status.token
        config = tmp_path / "operator.kubeconfig"
        write_kubeconfig(
            config,
            kube.api.configuration.host,
            token,
            Path(kube.api.configuration.ssl_ca_cert),
            namespace=ns,
        )
        yield config, str(account)
    finally:
        rbac.delete_cluster_role_binding(f"kairflow-{ns}")
        rbac.delete_cluster_role(f"kairflow-{ns}")


def test_the_operator_runs_with_the_charts_rbac_only(kube: Kube, tmp_path: Path) -> None:
    with own_namespace(kube, "rbac") as ns, charts_rbac(kube, ns, tmp_path) as (config, account):
        kube.create(
            ns,
            "dags",
            dag(
                "chain",
                [
                    {"name": "a", "bash": "true"},
                    {"name": "b", "bash": "true", "outlets": ["s3://rbac/out"]},
                ],
                ["a >> b"],
            ),
        )
        with operators(config, ns, tmp_path) as ops:
            operator = ops.start().wait_ready()
            kube.create(ns, "dagruns", manual_run("chain-1", "chain"))
            kubelet = FakeKubelet(kube, ns)
            kubelet.run("a")
            kubelet.run("b")
            status = wait_run_state(kube, ns, "chain-1", "success")
            assert status["progress"] == "2/2"
            # b's asset event: the Asset created and its status written.
            asset = kube.get(ns, "assets", asset_name("s3://rbac/out"))
            assert [e["sourceTaskId"] for e in asset["status"]["events"]] == ["b"]
            # A whole-word 403: the log names the liveness port, which can be 40385.
            assert "Forbidden" not in operator.log()
            assert not re.search(r"\b403\b", operator.log())
        # Big XComs: the log's tail and a ConfigMap per value; never exec, never
        # a change to a ConfigMap once written.
        user = f"system:serviceaccount:{ns}:{account}"
        assert may(kube, user, ns, "get", "pods", "log")
        assert may(kube, user, ns, "create", "configmaps")
        assert may(kube, user, ns, "get", "configmaps")
        assert not may(kube, user, ns, "update", "configmaps")
        assert not may(kube, user, ns, "create", "pods", "exec")
        leases = "coordination.k8s.io"
        assert not may(kube, user, ns, "list", "leases", group=leases), "no Lease rights"


def test_a_sharded_operator_runs_with_the_charts_rbac_only(kube: Kube, tmp_path: Path) -> None:
    """With shards.enabled the chart's Role lets a replica write its Lease, read the
    others', and release it on a clean stop."""
    with (
        own_namespace(kube, "rbac-shards") as ns,
        charts_rbac(kube, ns, tmp_path, "shards.enabled=true") as (config, account),
    ):
        kube.create(ns, "dags", dag("one", [{"name": "a", "bash": "true"}]))
        shard = {"KAIRFLOW_SHARDS": "on", "KAIRFLOW_SHARD_LEASE_DURATION": "3s"}
        with operators(config, ns, tmp_path) as ops:
            operator = ops.start(env={**shard, "KAIRFLOW_SHARD_IDENTITY": "only"}).wait_ready()
            kube.create(ns, "dagruns", manual_run("one-1", "one"))
            FakeKubelet(kube, ns).run("a")
            wait_run_state(kube, ns, "one-1", "success")
            operator.signal(signal.SIGTERM)
            operator.proc.wait(timeout=30)  # type: ignore[union-attr]
            # A whole-word 403: the log names the liveness port, which can be 40385.
            assert "Forbidden" not in operator.log()
            assert not re.search(r"\b403\b", operator.log())
            assert "Lease not released" not in operator.log()
        lease = client.CoordinationV1Api(kube.api).read_namespaced_lease("kairflow-shard-only", ns)
        assert lease.spec.holder_identity is None, "released on the clean stop"
        user = f"system:serviceaccount:{ns}:{account}"
        leases = "coordination.k8s.io"
        assert may(kube, user, ns, "update", "leases", group=leases)
        assert not may(kube, user, "default", "list", "leases", group=leases), "its namespace only"
