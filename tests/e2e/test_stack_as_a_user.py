"""The main job end to end, as a user would do it: kubectl apply, the operator
schedules, the node agent runs one process per task instance, kubectl get/logs."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kairflow.core.naming import dagrun_name
from tests.e2e.stack import ROOT, apply, example, get_json, logs, stack, trigger, wait_finished
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
__all__ = ["stack"]


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_sample_dag_runs_its_middle_tasks_in_parallel(kube: Kube, stack: str) -> None:
    apply(kube, stack, ROOT / "dags" / "sample_dag.yaml")
    trigger(kube, stack, "sample-dag", "sample-1")
    status = wait_finished(kube, stack, "sample-1")
    assert status["state"] == "success", status
    tis = status["taskInstances"]
    middle = [tis[f"task_{i}"] for i in range(3)]
    assert max(t(m["startDate"]) for m in middle) <= min(t(m["endDate"]) for m in middle)
    assert t(tis["finalize"]["startDate"]) >= max(t(m["endDate"]) for m in middle)
    assert "Running Airflow~" in logs(kube, stack, tis["second"]["pod"])
    assert "start!" in logs(kube, stack, tis["first"]["pod"])


def test_my_python_dag_diamond(kube: Kube, stack: str) -> None:
    apply(kube, stack, ROOT / "dags" / "my_python_dag.yaml")
    trigger(kube, stack, "my-python-dag", "py-1")
    status = wait_finished(kube, stack, "py-1")
    assert status["state"] == "success"
    tis = status["taskInstances"]
    assert t(tis["t4"]["startDate"]) >= t(tis["t3"]["endDate"])
    assert "t3 slept 10 seconds" in logs(kube, stack, tis["t3"]["pod"])


def test_hello_world_task_fails_then_succeeds_on_retry(
    kube: Kube, stack: str, tmp_path: Path
) -> None:
    dag = example("hello_world.yaml")
    marker = tmp_path / "tried"
    dag["spec"]["defaults"]["retryDelay"] = "1s"
    dag["spec"].pop("schedule")  # only our run may touch the marker
    dag["spec"]["tasks"][0]["bash"] = (
        f"if [ -e {marker} ]; then date; else touch {marker}; echo boom; exit 1; fi"
    )
    apply(kube, stack, dag)
    trigger(kube, stack, "hello-world", "hello-1")
    status = wait_finished(kube, stack, "hello-1")
    assert status["state"] == "success"
    assert status["taskInstances"]["print_date"]["tryNumber"] == 2
    assert "Hello world!" in logs(kube, stack, status["taskInstances"]["print_hello"]["pod"])


def test_xcom_pipeline_prints_the_upstream_value(kube: Kube, stack: str) -> None:
    apply(kube, stack, ROOT / "dags" / "xcom_pipeline.yaml")
    trigger(kube, stack, "xcom-pipeline", "xcom-1")
    status = wait_finished(kube, stack, "xcom-1")
    assert status["state"] == "success"
    assert status["taskInstances"]["extract"]["xcom"] == {"rows": 2, "total": 42}
    assert "loading total=84" in logs(kube, stack, status["taskInstances"]["load"]["pod"])


def test_branch_dag_follows_one_path(kube: Kube, stack: str) -> None:
    apply(kube, stack, ROOT / "dags" / "branching.yaml")
    trigger(kube, stack, "branching", "branch-1", logicalDate="2024-01-06T00:00:00Z")
    status = wait_finished(kube, stack, "branch-1")
    states = {k: v.get("state") for k, v in status["taskInstances"].items()}
    assert states == {
        "choose": "success",
        "weekday": "skipped",
        "weekend": "success",
        "join": "success",
    }


def test_execution_timeout_kills_the_task(kube: Kube, stack: str) -> None:
    dag = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "slow"},
        "spec": {"tasks": [{"name": "sleepy", "bash": "sleep 60", "executionTimeout": "2s"}]},
    }
    apply(kube, stack, dag)
    trigger(kube, stack, "slow", "slow-1")
    status = wait_finished(kube, stack, "slow-1", timeout=40)
    assert status["state"] == "failed"
    assert "execution timeout of 2s exceeded" in status["taskInstances"]["sleepy"]["message"]


def test_a_pod_deleted_mid_run_is_retried(kube: Kube, stack: str, tmp_path: Path) -> None:
    marker = tmp_path / "first-try"
    dag = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "fragile"},
        "spec": {
            "tasks": [
                {
                    "name": "work",
                    "retries": 1,
                    "retryDelay": "1s",
                    "bash": f"[ -e {marker} ] && exit 0; touch {marker}; sleep 60",
                }
            ]
        },
    }
    apply(kube, stack, dag)
    trigger(kube, stack, "fragile", "fragile-1")

    def running_pod() -> str | None:
        ti = (
            (get_json(kube, stack, "dagrun", "fragile-1").get("status") or {})
            .get("taskInstances", {})
            .get("work", {})
        )
        return ti.get("pod") if ti.get("state") == "running" else None

    pod = wait_for(running_pod, timeout=30, what="the first try running")
    kube.kubectl("delete", "pod", "-n", stack, pod, "--wait=false")
    status = wait_finished(kube, stack, "fragile-1", timeout=60)
    assert status["state"] == "success"
    assert status["taskInstances"]["work"]["tryNumber"] == 2


def test_catchup_dag_creates_exactly_the_missed_runs(kube: Kube, stack: str) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = hour - timedelta(hours=3)
    dag = copy.deepcopy(example("xcom_pipeline.yaml"))
    dag["metadata"]["name"] = "hourly"
    dag["spec"].update({"startDate": start.isoformat(), "catchup": True})
    apply(kube, stack, dag)
    expected = {dagrun_name("hourly", "scheduled", start + timedelta(hours=h)) for h in range(3)}

    def all_done() -> bool:
        items = get_json(kube, stack, "dagruns")["items"]
        names = {r["metadata"]["name"] for r in items if r["spec"]["dagName"] == "hourly"}
        states = {(r.get("status") or {}).get("state") for r in items}
        return names == expected and states == {"success"}

    wait_for(all_done, timeout=90, interval=0.5, what=f"exactly {sorted(expected)}")


def test_setup_and_teardown_around_the_work_with_bash_xcoms(kube: Kube, stack: str) -> None:
    """The setup's last line of stdout (a directory) is its XCom, the work reads it, the
    teardown removes the directory: each a process the node agent runs."""
    apply(kube, stack, ROOT / "dags" / "setup_teardown.yaml")
    trigger(kube, stack, "setup-teardown", "st-1")
    status = wait_finished(kube, stack, "st-1")
    assert status["state"] == "success", status
    tis = status["taskInstances"]
    scratch = tis["create_scratch"]["xcom"]
    assert "/scratch-" in scratch and not Path(scratch).exists()  # removed by the teardown
    assert tis["summarize"]["xcom"] == "10"
    assert tis["remove_scratch"]["xcom"] == "removed"
    assert "10" in logs(kube, stack, tis["summarize"]["pod"])
