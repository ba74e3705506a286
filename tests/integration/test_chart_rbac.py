"""The Helm chart's ClusterRole is enough: an operator running with only a
ServiceAccount token bound to it schedules and runs a DAG and records its task's asset
event (real RBAC on the apiserver)."""

from __future__ import annotations

import subprocess
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


def rendered(namespace: str) -> list[dict[str, object]]:
    out = subprocess.run(
        [helm_binary(), "template", "rbac-test", str(CHART), "--namespace", namespace],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def may(kube: Kube, user: str, ns: str, verb: str, resource: str, sub: str = "") -> bool:
    """Whether RBAC lets `user` do `verb` on `resource` (a SubjectAccessReview)."""
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    attributes = client.V1ResourceAttributes(
        namespace=ns, verb=verb, resource=resource, subresource=sub or None
    )
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user=user, groups=groups, resource_attributes=attributes
        )
    )
    answer = client.AuthorizationV1Api(kube.api).create_subject_access_review(review)
    return bool(answer.status.allowed)


def test_the_operator_runs_with_the_charts_rbac_only(kube: Kube, tmp_path: Path) -> None:
    rbac = client.RbacAuthorizationV1Api(kube.api)
    with own_namespace(kube, "rbac") as ns:
        docs = {str(d["kind"]): d for d in rendered(ns)}
        kube.core.create_namespaced_service_account(ns, docs["ServiceAccount"])
        role, binding = docs["ClusterRole"], docs["ClusterRoleBinding"]
        role["metadata"]["name"] = binding["roleRef"]["name"] = f"kairflow-{ns}"  # type: ignore[index]
        binding["metadata"]["name"] = f"kairflow-{ns}"  # type: ignore[index]
        rbac.create_cluster_role(role)
        rbac.create_cluster_role_binding(binding)
        try:
            account = docs["ServiceAccount"]["metadata"]["name"]  # type: ignore[index]
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
                assert "Forbidden" not in operator.log() and "403" not in operator.log()
            # Big XComs: the log's tail and a ConfigMap per value; never exec, never
            # a change to a ConfigMap once written.
            user = f"system:serviceaccount:{ns}:{account}"
            assert may(kube, user, ns, "get", "pods", "log")
            assert may(kube, user, ns, "create", "configmaps")
            assert may(kube, user, ns, "get", "configmaps")
            assert not may(kube, user, ns, "update", "configmaps")
            assert not may(kube, user, ns, "create", "pods", "exec")
        finally:
            rbac.delete_cluster_role_binding(f"kairflow-{ns}")
            rbac.delete_cluster_role(f"kairflow-{ns}")
