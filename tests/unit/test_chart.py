"""The Helm chart: its CRDs are the generated ones, and it renders and lints."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kairflow.cli.crds import stale_files
from kairflow.localcluster.chart import HelmFailed, helm_binary

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kairflow"


def helm() -> str:
    try:
        return helm_binary()
    except HelmFailed as exc:
        pytest.fail(str(exc))


def test_chart_crds_are_the_generated_ones() -> None:
    assert stale_files(CHART / "crds") == [], "run `make crds`"


def test_chart_lints() -> None:
    result = subprocess.run(
        [helm(), "lint", str(CHART)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def render(*sets: str) -> list[dict[str, object]]:
    args = [helm(), "template", "kf", str(CHART), "--namespace", "ops"]
    for item in sets:
        args += ["--set", item]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_chart_renders_an_operator_with_least_privilege() -> None:
    docs = render()
    kinds = sorted(str(d["kind"]) for d in docs)
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount"]
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    verbs = {r["resources"][0]: set(r["verbs"]) for r in role["rules"]}  # type: ignore[index]
    assert verbs["pods"] == {"get", "list", "watch", "create", "delete"}
    assert verbs["pools"] == {"get", "list", "watch"}, "Pools are the users' to edit"
    assert verbs["pools/status"] == {"get", "update", "patch"}
    assert verbs["assets"] == {"get", "list", "watch", "create"}, "never deletes an Asset"
    assert verbs["assets/status"] == {"get", "update", "patch"}
    assert "secrets" not in verbs


def test_standby_adds_a_second_deployment_and_the_peering_objects() -> None:
    docs = render("standby.enabled=true", "namespaces={a,b}")
    peerings = [
        (d["kind"], d["metadata"]["namespace"])
        for d in docs  # type: ignore[index]
        if d["kind"] == "KopfPeering"
    ]
    assert peerings == [("KopfPeering", "a"), ("KopfPeering", "b")]
    assert "ClusterKopfPeering" in [d["kind"] for d in render("standby.enabled=true")]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert len(deployments) == 2
    args = [
        d["spec"]["template"]["spec"]["containers"][0]["args"]  # type: ignore[index]
        for d in deployments
    ]
    assert args[0] == ["operator", "--namespace=a", "--namespace=b"]
    assert args[1][-1] == "--standby"


def test_shards_run_replicas_that_name_themselves_and_may_write_their_leases() -> None:
    docs = render("shards.enabled=true", "shards.replicas=3")
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert len(deployments) == 1
    spec: Any = deployments[0]["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"] == {"type": "RollingUpdate"}
    assert spec["minReadySeconds"] == 20, "old pods stop once new ones may own DAGs"
    env = {e["name"]: e for e in spec["template"]["spec"]["containers"][0]["env"]}
    assert env["KAIRFLOW_SHARDS"]["value"] == "on"
    assert env["KAIRFLOW_SHARD_IDENTITY"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.name"}
    }
    assert env["KAIRFLOW_SHARD_POD_UID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.uid"}}
    role: Any = next(d for d in docs if d["kind"] == "Role")
    assert role["metadata"]["namespace"] == "ops"
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "list", "create", "update", "delete"],
        }
    ]
    assert "Role" not in [d["kind"] for d in render()], "no Lease rights without shards"


def test_shards_and_a_standby_are_refused_together() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        render("shards.enabled=true", "standby.enabled=true")
    assert "exclude each other" in str(failed.value.stderr)


def ui_docs(*sets: str) -> dict[str, dict[str, Any]]:
    """The UI's objects by kind, rendered with ui.enabled and `sets`."""
    docs: list[dict[str, Any]] = render("ui.enabled=true", *sets)
    return {
        str(d["kind"]): d
        for d in docs
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "ui"
    }


def test_the_ui_is_off_unless_enabled() -> None:
    docs: list[dict[str, Any]] = render()
    assert not any(d["metadata"]["name"].endswith("-ui") for d in docs)


def test_the_ui_runs_in_token_mode_with_an_identity_that_can_read_nothing() -> None:
    docs: list[dict[str, Any]] = render("ui.enabled=true")
    ui = ui_docs()
    assert sorted(ui) == ["Deployment", "Service", "ServiceAccount"]
    account = ui["ServiceAccount"]
    assert account["automountServiceAccountToken"] is False
    # No Role or binding names the UI's account: it has no permissions at all.
    for doc in docs:
        subjects = doc.get("subjects") or []
        assert all(s["name"] != account["metadata"]["name"] for s in subjects)
    pod = ui["Deployment"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["args"] == [
        "ui",
        "--auth=token",
        "--address=0.0.0.0",
        "--port=8080",
        "--ca-file=/etc/kairflow/kube-ca/ca.crt",
        "--namespace=default",
    ]
    # The cluster's CA from the ConfigMap every namespace has, not from a token volume.
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["kube-ca"]["configMap"] == {"name": "kube-root-ca.crt"}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/etc/kairflow/kube-ca"] == "kube-ca"
    assert "env" not in container  # no session secret unless one is given


def test_the_ui_pod_is_locked_down_and_probed_on_healthz() -> None:
    pod = ui_docs()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["resources"]["limits"]["memory"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]


@pytest.mark.parametrize(
    ("sets", "service_type", "port", "target"),
    [
        pytest.param([], "ClusterIP", 80, "http", id="a ClusterIP Service on port 80 by default"),
        pytest.param(
            ["ui.service.type=NodePort", "ui.service.port=8443"],
            "NodePort",
            8443,
            "http",
            id="the Service's type and port are values",
        ),
    ],
)
def test_the_ui_service(sets: list[str], service_type: str, port: int, target: str) -> None:
    service = ui_docs(*sets)["Service"]["spec"]
    assert service["type"] == service_type
    assert service["ports"] == [{"name": "http", "port": port, "targetPort": target}]
    assert service["selector"]["app.kubernetes.io/component"] == "ui"


@pytest.mark.parametrize(
    ("sets", "namespace"),
    [
        pytest.param([], "default", id="opens on default"),
        pytest.param(["namespaces={team-a,team-b}"], "team-a", id="or the first watched one"),
        pytest.param(["ui.defaultNamespace=etl"], "etl", id="or the one asked for"),
    ],
)
def test_the_namespace_the_ui_opens_on(sets: list[str], namespace: str) -> None:
    pod = ui_docs(*sets)["Deployment"]["spec"]["template"]["spec"]
    assert f"--namespace={namespace}" in pod["containers"][0]["args"]


def test_a_session_secret_comes_from_the_named_secret() -> None:
    deployment = ui_docs("ui.secretName=ui-session", "ui.replicas=2")["Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [
        {
            "name": "KAIRFLOW_UI_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "ui-session", "key": "secret"}},
        }
    ]
    assert deployment["spec"]["replicas"] == 2


def test_replicas_without_a_shared_secret_are_refused() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        render("ui.enabled=true", "ui.replicas=2")
    assert "ui.replicas > 1 needs ui.secretName" in str(failed.value.stderr)


def test_the_ui_has_no_ingress_unless_asked() -> None:
    assert "Ingress" not in ui_docs()


def test_an_ingress_serves_the_ui_on_its_hosts_with_tls_and_unbuffered_streams() -> None:
    ingress = ui_docs(
        "ui.ingress.enabled=true",
        "ui.ingress.className=nginx",
        "ui.ingress.hosts={kairflow.example.com}",
        "ui.ingress.tls[0].secretName=ui-tls",
        "ui.ingress.tls[0].hosts={kairflow.example.com}",
        "ui.ingress.annotations.auth-proxy/enabled=yes",
    )["Ingress"]
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"secretName": "ui-tls", "hosts": ["kairflow.example.com"]}]
    (rule,) = spec["rules"]
    assert rule["host"] == "kairflow.example.com"
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "kf-kairflow-ui", "port": {"name": "http"}}
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert annotations["auth-proxy/enabled"] == "yes"


def test_an_ingress_without_a_host_is_refused() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        render("ui.enabled=true", "ui.ingress.enabled=true")
    assert "ui.ingress.enabled needs at least one host" in str(failed.value.stderr)
