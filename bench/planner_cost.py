"""Cost of the pure core: one planner pass over DAGs of growing size, and the
scheduler's "what is due now" for a minutely DAG ten years behind (bounded cost).

    .venv/bin/python bench/planner_cost.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report, summarize
from kairflow.api import DAGSpec
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.planner import plan
from kairflow.core.run_model import RunContext
from kairflow.core.timetable import due_runs, next_run, restriction_for, timetable_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def wide_dag(width: int) -> DAGSpec:
    """start >> [w0 .. wN] >> end: the shape of a big fan-out."""
    tasks = [{"name": "start", "bash": "true"}, {"name": "end", "bash": "true"}]
    tasks += [{"name": f"w{i}", "bash": "echo {{ ds }}"} for i in range(width)]
    return DAGSpec.model_validate(
        {
            "tasks": tasks,
            "maxActiveTasks": 10_000,
            "flow": [f"start >> w{i} >> end" for i in range(width)],
        }
    )


def planner_rows() -> dict[str, dict[str, float]]:
    rows = {}
    for width in (10, 100, 1000):
        spec = wide_dag(width)
        run = RunContext(
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
        status = plan(run, DagRunStatus(), [], NOW).status  # start: one pod
        samples = []
        for _ in range(20):
            began = time.perf_counter()
            plan(run, status, [], NOW)
            samples.append(time.perf_counter() - began)
        tracemalloc.start()  # a separate pass: tracing would distort the timings
        plan(run, status, [], NOW)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row = summarize(samples)
        row["peak_MiB"] = peak / 2**20
        rows[f"plan() pass, {width + 2} tasks"] = row
    return rows


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
    report("planner_cost", planner_rows(), unit="seconds per call")
    report("schedule_cost", schedule_rows(), unit="seconds per call")
