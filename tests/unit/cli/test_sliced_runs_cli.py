"""A big run (its task instances in TaskInstanceSlices) reads whole in every command
that shows task instances: one LIST of slices per command, never a GET per slice; a
slice that cannot be read is said once on stderr and the rest is shown."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.task_instance_slices import slice_index, slice_name
from tests.cli import kairflow
from tests.unit.cli.fake_custom_api import NS, FakeCustomApi, FakeWatches, install

TASKS = [f"t{i}" for i in range(12)]
SLICES = 4
FAILED = "t5"


def ti(key: str) -> dict[str, Any]:
    state = "failed" if key == FAILED else "success"
    return {"state": state, "tryNumber": 1, "startDate": "2026-01-01T00:00:00Z"}


def big_run(name: str = "big", **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": name, "namespace": NS, "labels": {"kairflow.io/dag": "etl"}},
        "spec": {"dagName": "etl", "runType": "manual"},
        "status": {
            "state": "failed",
            "taskInstanceSlices": SLICES,
            "dagSpec": {"tasks": [{"name": t, "bash": "true"} for t in TASKS]},
            **status,
        },
    }


def a_slice(index: int, run: str = "big", changed: dict[str, Any] | None = None) -> dict[str, Any]:
    instances = {t: ti(t) for t in TASKS if slice_index(t, SLICES) == index}
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "TaskInstanceSlice",
        "metadata": {
            "name": slice_name(run, SLICES, index),
            "namespace": NS,
            "labels": {"kairflow.io/dag-run": run},
        },
        "spec": {"dagRun": run, "slices": SLICES, "index": index},
        "status": {"taskInstances": {**instances, **(changed or {})}},
    }


def objects(*runs: str) -> list[tuple[str, dict[str, Any]]]:
    dag = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "etl", "namespace": NS},
        "spec": big_run()["status"]["dagSpec"],
    }
    found: list[tuple[str, dict[str, Any]]] = [("dags", dag)]
    for run in runs or ("big",):
        found.append(("dagruns", big_run(run)))
        found.extend(("taskinstanceslices", a_slice(i, run)) for i in range(SLICES))
    return found


@pytest.fixture
def cluster(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[FakeCustomApi, FakeWatches, str]:
    return install(monkeypatch, tmp_path, objects())


def slice_reads(api: FakeCustomApi) -> list[tuple[str, str | None]]:
    return [(verb, detail) for verb, plural, detail in api.calls if plural == "taskinstanceslices"]


def marked(stdout: str, mark: str) -> list[str]:
    """The tasks whose row shows `mark` (a state's symbol, a Gantt bar)."""
    rows = (line.split() for line in stdout.splitlines())
    return sorted(row[0] for row in rows if row and row[0] in TASKS and mark in " ".join(row))


@pytest.mark.parametrize(
    ("command", "mark", "tasks"),
    [
        pytest.param(["runs", "get", "big"], "✓", 11, id="runs get shows each task's state"),
        pytest.param(["runs", "graph", "big"], "✓", 11, id="runs graph colors each task"),
        pytest.param(["runs", "grid", "etl"], "✓", 11, id="runs grid has each task's cell"),
        pytest.param(["runs", "gantt", "big"], "█", 12, id="runs gantt draws every try"),
    ],
)
def test_a_view_of_a_big_run_shows_every_task_instance(
    cluster: tuple[FakeCustomApi, FakeWatches, str], command: list[str], mark: str, tasks: int
) -> None:
    api, _, kubeconfig = cluster
    result = kairflow(*command, "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    assert len(marked(result.stdout, mark)) == tasks  # the failed one: ✗
    assert result.stderr == ""
    assert slice_reads(api) == [("list", "kairflow.io/dag-run=big")]


def test_runs_get_as_yaml_is_the_run_as_stored(
    cluster: tuple[FakeCustomApi, FakeWatches, str],
) -> None:
    api, _, kubeconfig = cluster
    result = kairflow("runs", "get", "big", "-o", "json", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)["status"]
    assert "taskInstances" not in status and status["taskInstanceSlices"] == SLICES
    assert slice_reads(api) == []


def test_a_clear_preview_finds_the_failed_task_instance_in_its_slice(
    cluster: tuple[FakeCustomApi, FakeWatches, str],
) -> None:
    _, _, kubeconfig = cluster
    result = kairflow("tasks", "clear", "big", "--only-failed", "--kubeconfig", kubeconfig)
    assert FAILED in result.stdout
    assert "t4" not in result.stdout  # succeeded: not cleared


@pytest.mark.parametrize(
    ("command", "selector"),
    [
        pytest.param(
            ["runs", "grid", "etl"],
            "kairflow.io/dag-run in (a,b)",
            id="a grid of many big runs lists their slices once",
        ),
        pytest.param(
            ["runs", "grid", "etl", "--limit", "1"],
            "kairflow.io/dag-run=b",
            id="a grid of the newest run lists that run's slices only",
        ),
        pytest.param(
            ["runs", "list", "-A", "-o", "json"],
            "kairflow.io/dag-run in (a,b)",
            id="every namespace is one list of slices across namespaces",
        ),
    ],
)
def test_many_big_runs_are_read_with_one_list_of_slices(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str], selector: str
) -> None:
    api, _, kubeconfig = install(monkeypatch, tmp_path, objects("a", "b"))
    result = kairflow(*command, "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    assert slice_reads(api) == [("list", selector)]


def test_a_grid_of_two_big_runs_has_both_runs_cells(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, _, kubeconfig = install(monkeypatch, tmp_path, objects("a", "b"))
    result = kairflow("runs", "grid", "etl", "--kubeconfig", kubeconfig)
    assert marked(result.stdout, "✓ ✓") == sorted(set(TASKS) - {FAILED})


def test_runs_listed_as_json_carry_their_task_instances(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, _, kubeconfig = install(monkeypatch, tmp_path, objects("a", "b"))
    result = kairflow("runs", "list", "-A", "-o", "json", "--kubeconfig", kubeconfig)
    runs = json.loads(result.stdout)["items"]
    assert [len(r["status"]["taskInstances"]) for r in runs] == [len(TASKS)] * 2


@pytest.mark.parametrize("output", ["table", "wide", "name"])
def test_a_table_of_big_runs_reads_no_slice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, output: str
) -> None:
    api, _, kubeconfig = install(monkeypatch, tmp_path, objects("a", "b"))
    result = kairflow("runs", "list", "-A", "-o", output, "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    assert "a" in result.stdout.split() or "dagrun.kairflow.io/a" in result.stdout
    assert slice_reads(api) == []  # the runs' own fields are the whole table


@pytest.mark.parametrize(
    ("refused", "deleted", "note"),
    [
        pytest.param(
            {"list taskinstanceslices"},
            [],
            "warning: dagrun 'big': the task instances of 4 of its 4 TaskInstanceSlices are "
            'not shown (taskinstanceslices.kairflow.io is forbidden: User "alice" cannot '
            "list resource): big-ti4-0, big-ti4-1, big-ti4-2, ...",
            id="a reader refused the slices sees the run and is told why once",
        ),
        pytest.param(
            set(),
            [1],
            "warning: dagrun 'big': the task instances of 1 of its 4 TaskInstanceSlices are "
            "not shown (not found): big-ti4-1",
            id="a deleted slice is named once and the others are shown",
        ),
    ],
)
def test_a_slice_not_read_is_said_once_and_the_run_still_shows(
    cluster: tuple[FakeCustomApi, FakeWatches, str],
    refused: set[str],
    deleted: list[int],
    note: str,
) -> None:
    api, _, kubeconfig = cluster
    api.refuse |= refused
    api.objects["taskinstanceslices"] = [
        s for s in api.objects["taskinstanceslices"] if s["spec"]["index"] not in deleted
    ]
    result = kairflow("runs", "get", "big", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [note]
    shown = [t for t in TASKS if t != FAILED and slice_index(t, SLICES) not in deleted]
    assert marked(result.stdout, "✓") == sorted(shown if not refused else [])


def test_runs_wait_sees_a_task_instance_change_that_only_its_slice_reports(
    cluster: tuple[FakeCustomApi, FakeWatches, str],
) -> None:
    api, watches, kubeconfig = cluster
    running = big_run(state="running")
    index = slice_index(FAILED, SLICES)
    listed = a_slice(index, changed={FAILED: {"state": "running", "tryNumber": 1}})
    api.objects["taskinstanceslices"][index] = listed
    api.objects["dagruns"] = [running]
    watches.events = {
        # The run's own status says nothing of t5: only its slice does.
        "dagruns": [
            {"type": "ADDED", "object": running},
            {"type": "MODIFIED", "object": big_run()},
        ],
        "taskinstanceslices": [{"type": "MODIFIED", "object": a_slice(index)}],
    }
    result = kairflow("runs", "wait", "big", "--kubeconfig", kubeconfig)
    assert result.exit_code == 1  # the run failed
    lines = [line.split(None, 1)[1] for line in result.stdout.splitlines()[:-1]]
    assert [line for line in lines if line.startswith(f"{FAILED} ")][
        -1
    ] == f"{FAILED}  failed  try 1"
    assert lines[-1] == "run big  failed"
    started = dict(watches.started)
    assert started["taskinstanceslices"]["resource_version"] == "7"  # from the list: no gap
    assert slice_reads(api).count(("list", "kairflow.io/dag-run=big")) == 2  # get, then watch


def test_runs_wait_leaves_no_watch_open_when_it_returns(
    cluster: tuple[FakeCustomApi, FakeWatches, str],
) -> None:
    """A watch still being read when the CLI exits can abort it (SIGABRT at the
    interpreter's exit, seen once in CI after the right error): the command stops its
    watches, a run's and its slices', and waits for their threads before it returns."""
    _, watches, kubeconfig = cluster
    watches.held = True  # both stay open after their events, as real ones do
    watches.events = {"dagruns": [{"type": "ADDED", "object": big_run()}]}
    result = kairflow("runs", "wait", "big", "--kubeconfig", kubeconfig)
    assert result.exit_code == 1  # the run failed
    assert [plural for plural, _ in watches.started] == ["taskinstanceslices", "dagruns"]
    assert watches.open == 0
    assert [t.name for t in threading.enumerate() if t.name.startswith("kairflow-watch-")] == []


def test_runs_wait_shows_each_change_of_a_run_even_when_they_come_together(
    cluster: tuple[FakeCustomApi, FakeWatches, str],
) -> None:
    api, watches, kubeconfig = cluster

    def small(state: str, hello: str) -> dict[str, Any]:
        run = big_run("small", state=state, taskInstances={"t0": {"state": hello, "tryNumber": 1}})
        del run["status"]["taskInstanceSlices"]
        return run

    api.objects["dagruns"] = [small("running", "queued")]
    watches.events = {
        # The two changes after the first reach the CLI back to back.
        "dagruns": [
            {"type": "ADDED", "object": small("running", "queued")},
            {"type": "MODIFIED", "object": small("running", "running")},
            {"type": "MODIFIED", "object": small("success", "success")},
        ],
    }
    result = kairflow("runs", "wait", "small", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    lines = [line.split(None, 1)[1] for line in result.stdout.splitlines()]
    t0 = [line.split()[1] for line in lines if line.startswith("t0 ")]
    assert t0 == ["queued", "running", "success"]


def test_a_backfill_of_big_runs_is_shown_and_planned_without_reading_slices(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    backfill = {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "Backfill",
        "metadata": {"name": "bf", "namespace": NS},
        "spec": {"dagName": "etl", "from": "2026-01-01", "to": "2026-01-02"},
        "status": {"state": "running"},
    }
    made = {"kairflow.io/backfill": "bf"}
    run = big_run("a", logicalDate="2026-01-01T00:00:00+00:00")
    run["metadata"]["labels"] |= made
    run["metadata"]["annotations"] = made
    found = [o for o in objects("a") if o[0] != "dagruns"]
    found[0][1]["spec"] |= {"schedule": "@daily", "startDate": "2026-01-01"}
    api, _, kubeconfig = install(
        monkeypatch, tmp_path, [*found, ("dagruns", run), ("backfills", backfill)]
    )
    shown = kairflow("backfill", "get", "bf", "--kubeconfig", kubeconfig)
    assert shown.exit_code == 0, shown.output
    assert "Runs (1):" in shown.stdout and "a " in shown.stdout
    planned = kairflow(
        "backfill",
        "create",
        "etl",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--dry-run",
        "--kubeconfig",
        kubeconfig,
    )
    assert planned.exit_code == 0, planned.output
    assert slice_reads(api) == []  # neither reads a big run's task instances
