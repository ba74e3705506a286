"""Synthetic DAGs and DagRuns shaped like the operator writes them, for the UI's
benchmarks and browser tests (served by bench/fake_kube_api.py).

A grid DAG of N tasks: tasks in groups of 100 (`stage_07.task_00712`), each
depending on the task one layer up, plus one mapped task; its runs hold every task
instance with the fields the operator writes (state, try, pod, times, exit code), and
the DAG spec snapshot a run keeps. Older runs finished (a few failed); the newest one
is running.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

GROUP_SIZE = 100
LAYER = 50
MAPPED = "fan_out"
MAPPED_COUNT = 8
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
API_VERSION = "kairflow.io/v1alpha1"
_DONE = {"success", "failed", "skipped", "upstream_failed"}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def task_names(count: int) -> list[str]:
    return [f"stage_{i // GROUP_SIZE:02d}.task_{i:05d}" for i in range(count)]


def dag(
    namespace: str, name: str, tasks: int, *, schedule: str | None = "@hourly"
) -> dict[str, Any]:
    names = task_names(tasks)
    spec_tasks: list[dict[str, Any]] = [
        {
            "name": n,
            "bash": f"echo {n}",
            **({"dependsOn": [names[i - LAYER]]} if i >= LAYER else {}),
        }
        for i, n in enumerate(names)
    ]
    if tasks:
        spec_tasks.append(
            {
                "name": MAPPED,
                "bash": "echo {{ item }}",
                "expand": {"items": list(range(MAPPED_COUNT))},
                "dependsOn": [names[0]],
            }
        )
    spec: dict[str, Any] = {
        "description": f"A synthetic DAG of {tasks} tasks",
        "tags": ["bench", f"size-{tasks}"],
        "defaults": {"owner": "bench"},
        "tasks": spec_tasks,
        "paused": False,
    }
    if schedule:
        spec |= {"schedule": schedule, "startDate": iso(EPOCH)}
    return {
        "apiVersion": API_VERSION,
        "kind": "DAG",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "Valid", "message": ""}],
            "scheduleDescription": "At the start of every hour" if schedule else None,
        },
    }


def instance(
    run_name: str, key: str, state: str, start: datetime, seconds: int, try_number: int = 1
) -> dict[str, Any]:
    """One task instance's status as the operator writes it."""
    ti: dict[str, Any] = {"state": state, "maxTries": 2}
    if state in {"none", "scheduled"}:
        return ti
    ti |= {
        "tryNumber": try_number,
        "pod": f"{run_name}-{key.replace('.', '-').replace('[', '-').rstrip(']')}-{try_number}"[
            :63
        ],
        "queuedAt": iso(start - timedelta(seconds=1)),
    }
    if state == "queued":
        return ti
    ti["startDate"] = iso(start)
    if state == "running":
        return ti
    ti |= {
        "endDate": iso(start + timedelta(seconds=seconds)),
        "duration": f"{seconds}s",
        "exitCode": 0 if state == "success" else 1,
    }
    if state == "failed":
        ti["message"] = f"exit code 1; try {try_number} of 2"
    return ti


def _state(position: int, tasks: int, newest: bool, failed_run: bool) -> str:
    if newest:
        done = tasks // 2
        return "success" if position < done else "running" if position < done + 20 else "none"
    if failed_run and position == tasks // 3:
        return "failed"
    if failed_run and position > tasks // 3 and position % LAYER == (tasks // 3) % LAYER:
        return "upstream_failed"
    return "success"


def first_logical_date(total: int) -> datetime:
    """Hourly runs whose newest started within the last hour."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(hours=total)


def run(
    namespace: str, dag_body: dict[str, Any], index: int, total: int, first: datetime
) -> dict[str, Any]:
    """Run `index` of `total` (the last is the newest, still running), hourly from
    `first`."""
    name = dag_body["metadata"]["name"]
    logical = first + timedelta(hours=index)
    run_name = f"{name}-scheduled-{logical.strftime('%Y%m%dt%H%M%S')}"
    newest = index == total - 1
    failed_run = index % 7 == 3
    names = [t["name"] for t in dag_body["spec"]["tasks"] if "expand" not in t]
    started = logical + timedelta(hours=1, seconds=5)
    tis: dict[str, Any] = {}
    for position, key in enumerate(names):
        state = _state(position, len(names), newest, failed_run)
        tis[key] = instance(
            run_name, key, state, started + timedelta(seconds=position % 40), 3 + position % 17
        )
    for i in range(MAPPED_COUNT if names else 0):
        key = f"{MAPPED}[{i}]"
        tis[key] = {**instance(run_name, key, "success", started, 2), "mapIndex": i}
    state = "running" if newest else "failed" if failed_run else "success"
    end = None if newest else iso(started + timedelta(seconds=600 + (index * 97) % 900))
    status: dict[str, Any] = {
        "state": state,
        "runId": f"scheduled__{iso(logical)}",
        "logicalDate": iso(logical),
        "dataIntervalStart": iso(logical),
        "dataIntervalEnd": iso(logical + timedelta(hours=1)),
        "queuedAt": iso(started),
        "startDate": iso(started),
        "progress": f"{sum(1 for t in tis.values() if t['state'] in _DONE)}/{len(tis)}",
        "taskInstances": tis,
        "dagSpec": dag_body["spec"],
        "dagGeneration": 1,
    }
    if end:
        status["endDate"] = end
    if failed_run:
        status["message"] = f"task instance {names[len(names) // 3]} failed"
    return {
        "apiVersion": API_VERSION,
        "kind": "DagRun",
        "metadata": {
            "name": run_name,
            "namespace": namespace,
            "labels": {"kairflow.io/dag": name},
        },
        "spec": {"dagName": name, "runType": "scheduled", "logicalDate": iso(logical), "conf": {}},
        "status": status,
    }


def grid(
    namespace: str, name: str, tasks: int, runs: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A DAG of `tasks` tasks and its `runs` runs."""
    body = dag(namespace, name, tasks)
    first = first_logical_date(runs)
    return body, [run(namespace, body, i, runs, first) for i in range(runs)]


def dag_list(
    namespace: str, count: int, runs_each: int = 5, tasks_each: int = 10
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` small DAGs with `runs_each` runs each (the DAG list's load)."""
    dags, runs = [], []
    first = first_logical_date(runs_each)
    for i in range(count):
        body = dag(namespace, f"dag-{i:04d}", tasks_each)
        body["spec"]["tags"] = ["bench", ["etl", "ml", "reports", "ops"][i % 4]]
        body["spec"]["paused"] = i % 9 == 0
        dags.append(body)
        runs.extend(run(namespace, body, r, runs_each, first) for r in range(runs_each))
    return dags, runs
