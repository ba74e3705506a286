"""The full stack for e2e tests: the session's control plane and operator, plus a
node agent that really runs this test's pods as local processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.kube import Kube, wait_for
from tests.integration.localnode_fixture import LocalNodes, agent_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack(kube: Kube, operator: None, service_account_ready: str, tmp_path: Path) -> Iterator[str]:
    """A namespace whose pods a node agent runs (it claims default-scheduler pods,
    as in `kairflow dev up`); yields the namespace."""
    ns = service_account_ready
    base = agent_settings(kube, f"e2e-{ns[-6:]}", ns, tmp_path / "node")
    nodes = LocalNodes(kube, ns, base)
    nodes.start(claim_default_scheduler=True)
    try:
        yield ns
    finally:
        nodes.close()


def apply(kube: Kube, ns: str, manifest: dict[str, Any] | Path) -> None:
    text = manifest.read_text() if isinstance(manifest, Path) else yaml.safe_dump(manifest)
    kube.kubectl("apply", "-n", ns, "-f", "-", input=text)


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "dags" / name).read_text())
    return loaded


def trigger(kube: Kube, ns: str, dag: str, run: str, **spec: Any) -> None:
    body = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": run},
        "spec": {"dagName": dag, **spec},
    }
    kube.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(body))


def get_json(kube: Kube, ns: str, *what: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(kube.kubectl("get", "-n", ns, *what, "-o", "json").stdout)
    return loaded


def wait_finished(kube: Kube, ns: str, run: str, timeout: float = 90) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        status = get_json(kube, ns, "dagrun", run).get("status") or {}
        return status if status.get("state") in ("success", "failed") else None

    return wait_for(finished, timeout=timeout, interval=0.3, what=f"run {run} finished")


def logs(kube: Kube, ns: str, pod: str) -> str:
    return kube.kubectl("logs", "-n", ns, pod).stdout
