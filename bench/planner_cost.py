"""Cost of the pure core: one planner pass over DAGs of growing size, one pass that
starts thousands of task instances at once, and the scheduler's "what is due now" for
a minutely DAG ten years behind (bounded cost).

    .venv/bin/python bench/planner_cost.py

To measure another version of the core (e.g. `git worktree add /tmp/old <commit>`),
put its package first on the path:
`PYTHONPATH=/tmp/old/operator .venv/bin/python bench/planner_cost.py`.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeGuard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report, summarize
from kairflow.api import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.planner import plan
from kairflow.core.run_model import Action, CreatePod, ObservedPod, Plan, PodPhase, RunContext
from kairflow.core.timetable import due_runs, next_run, restriction_for, timetable_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def wide_dag(width: int, template: str = "echo {{ ds }}") -> DAGSpec:
    """start >> [w0 .. wN] >> end: the shape of a big fan-out."""
    tasks = [{"name": "start", "bash": "true"}, {"name": "end", "bash": "true"}]
    tasks += [{"name": f"w{i}", "bash": template} for i in range(width)]
    return DAGSpec.model_validate(
        {
            "tasks": tasks,
            "maxActiveTasks": 10_000,
            "flow": [f"start >> w{i} >> end" for i in range(width)],
        }
    )


def run_of(spec: DAGSpec) -> RunContext:
    return RunContext(
        namespace="b",
        dag_name="d",
        name="d-x",
        uid="u",
        run_type="manual",
        run_id="r",
        logical_date=NOW,
        data_interval_start=NOW,
        data_interval_end=NOW,
        spec=spec,
    )


def measure(samples: int, one_pass: Callable[[], Plan]) -> dict[str, float]:
    """Seconds per pass over `samples` passes, and the peak MiB traced in one more."""
    seconds = []
    for _ in range(samples):
        began = time.perf_counter()
        one_pass()
        seconds.append(time.perf_counter() - began)
    tracemalloc.start()  # a separate pass: tracing would distort the timings
    one_pass()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row = summarize(seconds)
    row["peak_MiB"] = peak / 2**20
    return row


def planner_rows() -> dict[str, dict[str, float]]:
    rows = {}
    for width in (10, 100, 1000):
        run = run_of(wide_dag(width))
        status = plan(run, DagRunStatus(), [], NOW).status  # start: one pod
        rows[f"plan() pass, {width + 2} tasks"] = measure(20, partial(plan, run, status, [], NOW))
    return rows


def start_pass_rows() -> dict[str, dict[str, float]]:
    """One pass that sees `start` succeed and starts every wN (maxActiveTasks 10,000,
    capacity unlimited), each rendering a template that pulls start's XCom."""
    rows = {}
    for width in (100, 1_000, 5_000):
        run = run_of(wide_dag(width, "echo {{ ds }} {{ ti.xcom_pull('start') }}"))
        first = plan(run, DagRunStatus(), [], NOW)  # start: one pod
        (start_pod,) = (a.manifest["metadata"]["name"] for a in first.actions if _creates(a))
        done = [
            ObservedPod(
                start_pod,
                PodPhase.SUCCEEDED,
                exit_code=0,
                termination_message='"x"',
                started_at=NOW,
                finished_at=NOW,
            )
        ]
        one_pass = partial(plan, run, first.status, done, NOW)
        started = sum(1 for a in one_pass().actions if _creates(a))
        assert started == width, f"the pass should start {width} pods, it started {started}"
        rows[f"start pass, starts {width} tasks"] = measure(5 if width <= 1_000 else 3, one_pass)
    return rows


def _creates(action: Action) -> TypeGuard[CreatePod]:
    return isinstance(action, CreatePod)


def schedule_rows() -> dict[str, dict[str, float]]:
    spec = DAGSpec.model_validate(
        {
            "schedule": "* * * * *",
            "startDate": "2016-01-01",
            "catchup": True,
            "timezone": "America/New_York",
            "tasks": [{"name": "a"}],
        }
    )
    timetable, restriction = timetable_for(spec), restriction_for(spec)
    samples_due, samples_next = [], []
    for _ in range(20):
        began = time.perf_counter()
        due_runs(timetable, restriction, last=None, now=NOW, limit=16)
        samples_due.append(time.perf_counter() - began)
        began = time.perf_counter()
        next_run(timetable, restriction, last=None, now=NOW)
        samples_next.append(time.perf_counter() - began)
    return {
        "due_runs(limit=16), minutely, 10 years behind": summarize(samples_due),
        "next_run, minutely, 10 years behind (~5.3M ticks)": summarize(samples_next),
    }


if __name__ == "__main__":
    report("planner_cost", {**planner_rows(), **start_pass_rows()}, unit="seconds per call")
    report("schedule_cost", schedule_rows(), unit="seconds per call")
