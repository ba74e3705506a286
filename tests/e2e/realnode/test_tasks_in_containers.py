"""The example DAGs run on the real node: one container per task instance, in the
task image, XCom through the kubelet's termination message."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kairflow.localcluster.images import BASE
from tests.e2e.realnode.realstack import MARKER, RealStack, dag_manifest
from tests.e2e.stack import ROOT, apply, example, get_json, logs, trigger, wait_finished

# The first test also starts the package's stack (an image build, a cluster, helm).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def pods_of(real: RealStack, ns: str, run: str) -> list[dict[str, Any]]:
    listed = get_json(real.kube, ns, "pods", "-l", f"kairflow.io/dag-run={run}")
    return list(listed["items"])


def assert_ran_in_containers(real: RealStack, ns: str, run: str) -> None:
    """Every task pod ran in a containerd container of an image containerd holds."""
    pods = pods_of(real, ns, run)
    assert pods, f"no pods for {run}"
    for pod in pods:
        (status,) = pod["status"]["containerStatuses"]
        assert status["containerID"].startswith("containerd://"), status
        assert status["imageID"], status
        assert pod["spec"]["nodeName"] == "kairflow-local"
        assert pod["status"].get("podIP", "").startswith("10.88."), pod["status"]


def test_the_seed_dags_run_to_success_in_containers(real: RealStack, ns: str) -> None:
    apply(real.kube, ns, ROOT / "dags" / "sample_dag.yaml")
    apply(real.kube, ns, ROOT / "dags" / "my_python_dag.yaml")
    hello = example("hello_world.yaml")
    hello["spec"]["defaults"]["retryDelay"] = "1s"
    hello["spec"].pop("schedule")
    # The first try fails for real, in its container; the retry (a new pod) succeeds.
    hello["spec"]["tasks"][0]["bash"] = '[ "$KAIRFLOW_TRY_NUMBER" -ge 2 ] || exit 3; date'
    apply(real.kube, ns, hello)
    trigger(real.kube, ns, "sample-dag", "sample-1")
    trigger(real.kube, ns, "my-python-dag", "py-1")
    trigger(real.kube, ns, "hello-world", "hello-1")

    sample = wait_finished(real.kube, ns, "sample-1", timeout=180)
    assert sample["state"] == "success", sample
    tis = sample["taskInstances"]
    middle = [tis[f"task_{i}"] for i in range(3)]
    assert max(t(m["startDate"]) for m in middle) <= min(t(m["endDate"]) for m in middle)
    assert "Running Airflow~" in logs(real.kube, ns, tis["second"]["pod"])

    python = wait_finished(real.kube, ns, "py-1", timeout=180)
    assert python["state"] == "success", python
    assert t(python["taskInstances"]["t4"]["startDate"]) >= t(
        python["taskInstances"]["t3"]["endDate"]
    )

    hello_status = wait_finished(real.kube, ns, "hello-1", timeout=180)
    assert hello_status["state"] == "success", hello_status
    assert hello_status["taskInstances"]["print_date"]["tryNumber"] == 2
    for run in ("sample-1", "py-1", "hello-1"):
        assert_ran_in_containers(real, ns, run)
    first_try = [
        p for p in pods_of(real, ns, "hello-1") if p["metadata"]["labels"]["kairflow.io/try"] == "1"
    ]
    (failed,) = [
        p for p in first_try if p["metadata"]["labels"]["kairflow.io/task"] == "print_date"
    ]
    terminated = failed["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 3


def test_a_task_runs_inside_its_image_and_its_xcom_travels_through_the_kubelet(
    real: RealStack, ns: str
) -> None:
    dag = dag_manifest(
        "inside",
        [
            {
                "name": "read_marker",
                "python": (
                    "import json, os\n"
                    f"text = open('{MARKER}').read()\n"
                    "json.dump({'marker': text}, open(os.environ['KAIRFLOW_XCOM_FILE'], 'w'))\n"
                ),
            },
            {
                "name": "echo_marker",
                "bash": "echo \"got: {{ ti.xcom_pull('read_marker')['marker'] }}\"",
            },
        ],
        flow=["read_marker >> echo_marker"],
    )
    apply(real.kube, ns, dag)
    trigger(real.kube, ns, "inside", "inside-1")
    status = wait_finished(real.kube, ns, "inside-1", timeout=120)
    assert status["state"] == "success", status
    # The marker file exists in the task image only, never on the host the node runs on.
    assert status["taskInstances"]["read_marker"]["xcom"]["marker"] == BASE.marker
    assert not Path(MARKER).exists()
    assert "got: kairflow base image" in logs(
        real.kube, ns, status["taskInstances"]["echo_marker"]["pod"]
    )
    assert_ran_in_containers(real, ns, "inside-1")


@pytest.mark.parametrize(
    "manifest, run, expected",
    [
        pytest.param(
            "xcom_pipeline.yaml",
            "xcom-1",
            {"extract": "success", "transform": "success", "load": "success"},
            id="a value pushed by one container is pulled into the next one's command",
        ),
        pytest.param(
            "branching.yaml",
            "branch-1",
            {"choose": "success", "join": "success"},
            id="a branch task's XCom picks the path, the other is skipped",
        ),
        pytest.param(
            "sensor_and_mapping.yaml",
            "mapping-1",
            {"wait_a_moment": "success", "list_parts": "success", "report": "success"},
            id="a sensor pokes in fresh pods and a task maps over an XCom list",
        ),
    ],
)
def test_xcom_branching_and_mapping_examples_work_in_containers(
    real: RealStack, ns: str, manifest: str, run: str, expected: dict[str, str]
) -> None:
    dag = example(manifest)
    dag["spec"].pop("schedule", None)
    apply(real.kube, ns, dag)
    trigger(real.kube, ns, dag["metadata"]["name"], run)
    status = wait_finished(real.kube, ns, run, timeout=180)
    assert status["state"] == "success", status
    tis = status["taskInstances"]
    assert {name: tis[name]["state"] for name in expected} == expected
    if manifest == "xcom_pipeline.yaml":
        assert tis["extract"]["xcom"] == {"rows": 2, "total": 42}
        assert "loading total=84" in logs(real.kube, ns, tis["load"]["pod"])
    if manifest == "branching.yaml":
        chosen = tis["choose"]["xcom"]
        other = "weekday" if chosen == "weekend" else "weekend"
        assert (tis[chosen]["state"], tis[other]["state"]) == ("success", "skipped")
    if manifest == "sensor_and_mapping.yaml":
        parts = [tis[f"process[{i}]"] for i in range(3)]
        assert [p["state"] for p in parts] == ["success"] * 3
        assert "processed 3 parts" in logs(real.kube, ns, tis["report"]["pod"])
    assert_ran_in_containers(real, ns, run)


def test_an_xcom_at_the_termination_message_limit_arrives_whole(real: RealStack, ns: str) -> None:
    # 4096 bytes is what the kubelet keeps of a termination message.
    payload = "x" * (4096 - 2)
    dag = dag_manifest(
        "big-xcom",
        [
            {
                "name": "push",
                "python": (
                    "import json, os\n"
                    f"json.dump('{payload}', open(os.environ['KAIRFLOW_XCOM_FILE'], 'w'))\n"
                ),
            }
        ],
    )
    apply(real.kube, ns, dag)
    trigger(real.kube, ns, "big-xcom", "big-1")
    status = wait_finished(real.kube, ns, "big-1", timeout=120)
    assert status["state"] == "success", status
    assert status["taskInstances"]["push"]["xcom"] == payload
    assert len(json.dumps(payload)) == 4096
