"""A 10,000-task DAG is usable with `kubectl apply --server-side` and `kairflow dags
apply`: accepted, edited and applied again, and Ready under the operator. Client-side
apply cannot carry it (its last-applied annotation passes 256 KiB), and a DAG too big
for the API server is refused in one line that says so (docs/scale.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli import error_line, kairflow
from tests.integration.kube import Kube, wait_for

# Each 10,000-task apply takes 1-3 s of the API server's time; a test that takes
# minutes means the operator or the API server choked on the size.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("operator"),
    pytest.mark.timeout(120),
]

ANNOTATION_LIMIT = 256 * 1024
ETCD_LIMIT = 1536 * 1024
LAYER = 50


def big_dag(name: str, tasks: int, script: str = "", **spec: Any) -> dict[str, Any]:
    """`tasks` bash tasks in layers of 50, each after the task one layer up."""
    names = [f"stage_{i // 100:03d}.task_{i:05d}" for i in range(tasks)]
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {
            "tasks": [
                {
                    "name": n,
                    "bash": f"echo {n}{script}",
                    **({"dependsOn": [names[i - LAYER]]} if i >= LAYER else {}),
                }
                for i, n in enumerate(names)
            ],
            **spec,
        },
    }


def size(manifest: dict[str, Any]) -> int:
    return len(json.dumps(manifest, separators=(",", ":")))


def wait_ready(kube: Kube, ns: str, name: str) -> int:
    """The generation the operator found Ready, once it has seen the newest one. Polled
    twice a second: each read is a megabyte of JSON, parsed next to the operator."""
    found: int = wait_for(lambda: ready_generation(kube, ns, name), timeout=60, interval=0.5)
    return found


def ready_generation(kube: Kube, ns: str, name: str) -> int | None:
    """The generation the operator found valid (Ready=True), if it has seen it yet."""
    body = kube.get(ns, "dags", name)
    status = body.get("status") or {}
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    ready = conditions.get("Ready", {})
    synced = status.get("observedGeneration") == body["metadata"]["generation"]
    if synced and ready.get("status") != "True":
        raise AssertionError(f"DAG {name} is not Ready: {ready}")
    return body["metadata"]["generation"] if synced else None


def apply(kube: Kube, ns: str, manifest: dict[str, Any], *flags: str, check: bool = True) -> str:
    result = kube.kubectl(
        "apply", "-n", ns, *flags, "-f", "-", input=json.dumps(manifest), check=check
    )
    return result.stdout + result.stderr


def write(directory: Path, manifest: dict[str, Any]) -> Path:
    """The manifest as a YAML file (JSON is YAML, and far quicker to write)."""
    path = directory / f"{manifest['metadata']['name']}.yaml"
    path.write_text(json.dumps(manifest))
    return path


def cli(kube: Kube, *args: str) -> Any:
    return kairflow(*args, env={"KUBECONFIG": str(kube.kubeconfig)})


def test_a_10000_task_dag_is_server_side_applied_edited_and_ready(
    kube: Kube, namespace: str
) -> None:
    manifest = big_dag("big", 10_000)
    assert ANNOTATION_LIMIT < size(manifest) < ETCD_LIMIT  # what this test is about
    assert "serverside-applied" in apply(kube, namespace, manifest, "--server-side")
    assert wait_ready(kube, namespace, "big") == 1

    manifest["spec"]["tasks"][1]["bash"] = "echo edited"
    assert "serverside-applied" in apply(kube, namespace, manifest, "--server-side")
    assert wait_ready(kube, namespace, "big") == 2
    stored = kube.get(namespace, "dags", "big")
    assert stored["spec"]["tasks"][1]["bash"] == "echo edited"
    # `spec.tasks` is one atomic field: what server-side apply records of who owns
    # what stays a few hundred bytes, whatever the task count.
    owned = stored["metadata"]["managedFields"]
    assert size({"managedFields": owned}) < 2048, owned
    assert size(stored) < ETCD_LIMIT


def test_client_side_apply_of_a_10000_task_dag_is_refused_for_its_annotation(
    kube: Kube, namespace: str
) -> None:
    said = apply(kube, namespace, big_dag("big", 10_000), check=False)
    assert "metadata.annotations: Too long: must have at most 262144 bytes" in said


def test_kairflow_dags_apply_applies_and_edits_a_10000_task_dag(
    kube: Kube, namespace: str, tmp_path: Path
) -> None:
    manifest = big_dag("big", 10_000)
    path = write(tmp_path, manifest)
    applied = cli(kube, "dags", "apply", str(path), "-n", namespace)
    assert applied.exit_code == 0, applied.stderr
    assert applied.stdout == "dag.kairflow.io/big serverside-applied\n"

    manifest["spec"]["tasks"][-1]["bash"] = "echo edited"
    write(tmp_path, manifest)
    assert cli(kube, "dags", "apply", str(path), "-n", namespace).exit_code == 0
    assert wait_ready(kube, namespace, "big") == 2
    assert kube.get(namespace, "dags", "big")["spec"]["tasks"][-1]["bash"] == "echo edited"


def test_kairflow_dags_apply_of_a_dag_too_big_to_store_says_so_in_one_line(
    kube: Kube, namespace: str, tmp_path: Path
) -> None:
    # 200 tasks of 8 KiB scripts: as big as 16,000 small tasks, quicker to validate.
    manifest = big_dag("huge", 200, script="\n" + "echo filler\n" * 700)
    assert size(manifest) > ETCD_LIMIT
    path = write(tmp_path, manifest)
    line = error_line(cli(kube, "dags", "apply", str(path), "-n", namespace))
    assert re.match(r'error: dag "huge" is 1\.\d\d MiB of JSON, more than', line), line
    assert "(etcd's request limit, 1.5 MiB by default)" in line
    assert "split it into smaller DAGs" in line


def test_a_dag_paused_from_the_cli_stays_paused_when_its_manifest_is_applied_again(
    kube: Kube, namespace: str, tmp_path: Path
) -> None:
    path = write(tmp_path, big_dag("small", 3, paused=False))
    assert cli(kube, "dags", "apply", str(path), "-n", namespace).exit_code == 0
    assert cli(kube, "dags", "pause", "small", "-n", namespace).exit_code == 0
    # The applied manifest leaves out `paused: false` (a default), so the pause is
    # nobody's conflict and no re-apply unpauses it: as a redeployed file in Airflow.
    again = cli(kube, "dags", "apply", str(path), "-n", namespace)
    assert again.exit_code == 0, again.stderr
    assert kube.get(namespace, "dags", "small")["spec"]["paused"] is True


def test_kairflow_dags_apply_names_a_conflict_and_forces_it_when_asked(
    kube: Kube, namespace: str, tmp_path: Path
) -> None:
    path = write(tmp_path, big_dag("small", 3, description="from git"))
    assert cli(kube, "dags", "apply", str(path), "-n", namespace).exit_code == 0
    hotfix = json.dumps({"spec": {"description": "hot fix"}})
    kube.kubectl("patch", "dag", "small", "-n", namespace, "--type=merge", "-p", hotfix)
    line = error_line(cli(kube, "dags", "apply", str(path), "-n", namespace))
    assert '"kubectl-patch"' in line and ".spec.description" in line, line
    assert line.endswith("rerun with --force-conflicts to take these fields over"), line
    forced = cli(kube, "dags", "apply", str(path), "-n", namespace, "--force-conflicts")
    assert forced.exit_code == 0, forced.stderr
    assert kube.get(namespace, "dags", "small")["spec"]["description"] == "from git"
