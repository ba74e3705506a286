"""The Helm chart: its CRDs are the generated ones, and it renders and lints."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
