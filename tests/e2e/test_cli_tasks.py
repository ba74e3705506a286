"""Clearing, marking and reading logs with the `kairflow` command, as a user would:
the real CLI as a subprocess, the operator acting on its requests, the node agent
running each try as a local process."""

from __future__ import annotations

import json
import select
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli_stack import KAIRFLOW, Cli, error_of
from tests.e2e.stack import apply, get_json, stack, trigger, wait_finished
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
__all__ = ["stack"]


def etl_dag(marker: Path) -> dict[str, Any]:
    """extract >> transform >> load; transform fails until `marker` exists."""
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "etl"},
        "spec": {
            "tasks": [
                {"name": "extract", "bash": "echo extract try $KAIRFLOW_TRY_NUMBER"},
                {
                    "name": "transform",
                    "dependsOn": ["extract"],
                    "bash": f"echo transform try $KAIRFLOW_TRY_NUMBER; [ -e {marker} ]",
                },
                {
                    "name": "load",
                    "dependsOn": ["transform"],
                    "bash": "echo load try $KAIRFLOW_TRY_NUMBER",
                },
            ]
        },
    }


def instances(kube: Kube, ns: str, run: str) -> dict[str, Any]:
    tis: dict[str, Any] = (get_json(kube, ns, "dagrun", run).get("status") or {}).get(
        "taskInstances", {}
    )
    return tis


def tries(kube: Kube, ns: str, run: str) -> dict[str, int]:
    return {k: v.get("tryNumber", 0) for k, v in instances(kube, ns, run).items()}


def wait_state(kube: Kube, ns: str, run: str, state: str, timeout: float = 60) -> dict[str, Any]:
    """Until the run is in `state` (a cleared or marked run first leaves its old one)."""

    def reached() -> dict[str, Any] | None:
        status: dict[str, Any] = get_json(kube, ns, "dagrun", run).get("status") or {}
        return status if status.get("state") == state else None

    return wait_for(reached, timeout=timeout, interval=0.3, what=f"run {run} {state}")


def listed(stdout: str) -> list[tuple[str, str, str]]:
    """(run, task instance, state) rows of a clear or mark preview."""
    rows = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 4 and words[3].isdigit():
            rows.append((words[0], words[1], words[2]))
    return rows


def failed_run(kube: Kube, ns: str, cli: Cli, marker: Path, run: str) -> None:
    apply(kube, ns, etl_dag(marker))
    trigger(kube, ns, "etl", run)
    assert wait_finished(kube, ns, run)["state"] == "failed"


def test_clear_downstream_reruns_exactly_the_listed_task_instances(
    kube: Kube, stack: str, tmp_path: Path
) -> None:
    cli, marker = Cli(kube, stack), tmp_path / "fixed"
    failed_run(kube, stack, cli, marker, "etl-1")
    assert tries(kube, stack, "etl-1") == {"extract": 1, "transform": 1, "load": 0}

    refused = cli.run("tasks", "clear", "etl-1", "--task", "transform", "--downstream", input="")
    assert refused.returncode == 2
    assert "--yes" in error_of(refused)
    assert "Clear 2 task instances in 1 run" in error_of(refused)
    assert "clear" not in get_json(kube, stack, "dagrun", "etl-1")["spec"]

    marker.touch()
    out = cli.ok("tasks", "clear", "etl-1", "--task", "transform", "--downstream", "--yes")
    assert listed(out) == [("etl-1", "transform", "failed"), ("etl-1", "load", "upstream_failed")]
    assert "dagrun.kairflow.io/etl-1 cleared (2 task instances)" in out
    wait_state(kube, stack, "etl-1", "success")
    assert tries(kube, stack, "etl-1") == {"extract": 1, "transform": 2, "load": 1}

    assert cli.ok("tasks", "logs", "etl-1", "transform", "--try", "1") == "transform try 1\n"
    assert cli.ok("tasks", "logs", "etl-1", "transform", "--try", "2") == "transform try 2\n"
    assert cli.ok("tasks", "logs", "etl-1", "transform") == "transform try 2\n"
    too_far = cli.run("tasks", "logs", "etl-1", "transform", "--try", "3")
    assert too_far.returncode == 2
    assert "task transform has had 2 tries" in error_of(too_far)

    assert cli.ok("runs", "logs", "etl-1").splitlines() == [
        "==> extract (try 1, success) <==",
        "extract try 1",
        "",
        "==> transform (try 2, success) <==",
        "transform try 2",
        "",
        "==> load (try 1, success) <==",
        "load try 1",
    ]


def test_clear_only_failed_leaves_the_successful_task_alone(
    kube: Kube, stack: str, tmp_path: Path
) -> None:
    cli, marker = Cli(kube, stack), tmp_path / "fixed"
    failed_run(kube, stack, cli, marker, "etl-2")
    never_ran = cli.run("tasks", "logs", "etl-2", "load")
    assert never_ran.returncode == 3
    assert "load has not run yet (state upstream_failed" in error_of(never_ran)

    marker.touch()
    out = cli.ok("tasks", "clear", "etl-2", "--only-failed", "--yes", "-o", "json")
    document = json.loads(out)  # stdout is only the JSON (the preview went to stderr)
    assert document["clear"]["onlyFailed"] is True
    assert [(r["name"], [ti["key"] for ti in r["taskInstances"]]) for r in document["runs"]] == [
        ("etl-2", ["transform", "load"])
    ]
    assert get_json(kube, stack, "dagrun", "etl-2")["spec"]["clear"]["id"] == document["requestId"]
    wait_state(kube, stack, "etl-2", "success")
    assert tries(kube, stack, "etl-2") == {"extract": 1, "transform": 2, "load": 1}


def test_mark_success_recomputes_the_run_state(kube: Kube, stack: str, tmp_path: Path) -> None:
    cli = Cli(kube, stack)
    failed_run(kube, stack, cli, tmp_path / "never", "etl-3")
    out = cli.ok("tasks", "mark", "etl-3", "transform", "load", "success", "--yes")
    assert listed(out) == [("etl-3", "transform", "failed"), ("etl-3", "load", "upstream_failed")]
    assert "dagrun.kairflow.io/etl-3 marked success (2 task instances)" in out
    wait_state(kube, stack, "etl-3", "success")
    states = {k: v["state"] for k, v in instances(kube, stack, "etl-3").items()}
    assert states == {"extract": "success", "transform": "success", "load": "success"}
    assert tries(kube, stack, "etl-3") == {"extract": 1, "transform": 1, "load": 0}


def test_clear_a_dag_between_dates_touches_only_the_runs_in_range(
    kube: Kube, stack: str, tmp_path: Path
) -> None:
    cli, marker = Cli(kube, stack), tmp_path / "fixed"
    marker.touch()
    apply(kube, stack, etl_dag(marker))
    days = {"jan-1": "2024-01-01", "jan-2": "2024-01-02", "jan-3": "2024-01-03"}
    for run, day in days.items():
        trigger(kube, stack, "etl", run, logicalDate=f"{day}T00:00:00Z")
    for run in days:
        assert wait_finished(kube, stack, run)["state"] == "success"

    out = cli.ok(
        "tasks", "clear", "etl", "-t", "extract", "--from", "2024-01-02", "--to", "2024-01-03",
        "--yes",
    )  # fmt: skip
    assert listed(out) == [("jan-2", "extract", "success"), ("jan-3", "extract", "success")]
    for run in ("jan-2", "jan-3"):
        wait_for(
            lambda run=run: (
                tries(kube, stack, run)["extract"] == 2
                and get_json(kube, stack, "dagrun", run)["status"].get("state") == "success"
            ),
            timeout=60,
            interval=0.3,
            what=f"{run} extract ran again",
        )
    assert tries(kube, stack, "jan-1") == {"extract": 1, "transform": 1, "load": 1}
    assert "clear" not in get_json(kube, stack, "dagrun", "jan-1")["spec"]


def test_mistakes_get_one_line_and_an_exit_code(kube: Kube, stack: str, tmp_path: Path) -> None:
    cli, marker = Cli(kube, stack), tmp_path / "fixed"
    marker.touch()
    apply(kube, stack, etl_dag(marker))
    trigger(kube, stack, "etl", "etl-4")
    assert wait_finished(kube, stack, "etl-4")["state"] == "success"

    cases = [
        (("tasks", "logs", "nope", "extract"), 3, 'dagrun "nope" not found'),
        (("tasks", "clear", "nope", "--yes"), 3, 'no dagrun or dag named "nope"'),
        (
            ("tasks", "clear", "etl-4", "--task", "nosuch*", "--yes"),
            2,
            "'nosuch*' matches no task of DAG 'etl' (its tasks: extract, transform, load)",
        ),
        (("tasks", "mark", "etl-4", "load", "running", "--yes"), 2, "success or failed"),
        (("tasks", "logs", "etl-4", "nosuch"), 3, "run etl-4 has no task 'nosuch'"),
    ]
    for args, code, message in cases:
        result = cli.run(*args)
        assert (result.returncode, message in error_of(result)) == (code, True), (
            args,
            result.stderr,
        )

    pod = instances(kube, stack, "etl-4")["extract"]["pod"]
    kube.kubectl("delete", "pod", "-n", stack, pod)
    deleted = cli.run("tasks", "logs", "etl-4", "extract")
    assert deleted.returncode == 3
    assert f"the pod {pod} of extract try 1 no longer exists" in error_of(deleted)


def test_runs_delete_deletes_the_runs_it_finds(kube: Kube, stack: str, tmp_path: Path) -> None:
    cli, marker = Cli(kube, stack), tmp_path / "fixed"
    marker.touch()
    apply(kube, stack, etl_dag(marker))
    trigger(kube, stack, "etl", "etl-5")
    trigger(kube, stack, "etl", "etl-6")

    result = cli.run("runs", "delete", "etl-5", "nope", "etl-6")
    assert result.returncode == 3
    assert 'dagrun "nope" not found' in error_of(result)
    assert result.stdout.splitlines() == [
        "dagrun.kairflow.io/etl-5 deleted",
        "dagrun.kairflow.io/etl-6 deleted",
    ]
    wait_for(lambda: not get_json(kube, stack, "dagruns")["items"], timeout=30, what="no runs left")


def test_logs_follow_prints_until_the_try_ends(kube: Kube, stack: str, tmp_path: Path) -> None:
    cli, go_on = Cli(kube, stack), tmp_path / "go-on"
    dag = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "slow"},
        "spec": {
            "tasks": [
                {
                    "name": "work",
                    "bash": f"echo started; while [ ! -e {go_on} ]; do sleep 0.1; done; echo done",
                }
            ]
        },
    }
    apply(kube, stack, dag)
    trigger(kube, stack, "slow", "slow-1")
    wait_for(
        lambda: instances(kube, stack, "slow-1").get("work", {}).get("state") == "running",
        timeout=30,
        what="work running",
    )
    follow = subprocess.Popen(
        [str(KAIRFLOW), "tasks", "logs", "slow-1", "work", "-f", "-n", stack],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli.env(),
    )
    try:
        assert follow.stdout is not None
        ready, _, _ = select.select([follow.stdout], [], [], 30)
        assert ready, "no log line within 30s"
        assert follow.stdout.readline() == "started\n"
        go_on.touch()  # only now does the task print its last line
        rest, errors = follow.communicate(timeout=60)
    finally:
        follow.kill()
    assert (follow.returncode, rest, errors) == (0, "done\n", "")
