"""Cost of the CPU budget on ordinary renders: the same task rendered with and
without a budget (the budget traces the render's Python calls and template lines).

    .venv/bin/python bench/render_budget.py
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report, summarize
from kairflow.api.dag import TaskSpec
from kairflow.core.templating import TemplateContext, build_context, render_task

RENDERS = 1000
REPEATS = 7
BUDGET = timedelta(seconds=2)
DAY = datetime(2024, 1, 1, tzinfo=UTC)
CONTEXT = build_context(
    TemplateContext(
        dag_name="etl",
        run_id="scheduled__2024-01-01T00:00:00+00:00",
        run_type="scheduled",
        logical_date=DAY,
        data_interval_start=DAY,
        data_interval_end=DAY + timedelta(days=1),
        task_name="load",
        params={"table": "events", "bucket": "s3://data"},
        xcoms={"extract": {"path": "/tmp/extract.csv", "rows": 10}},
    )
)
TASKS = {
    "echo {{ ds }}": {"bash": "echo {{ ds }}"},
    "typical bash script + 2 env values": {
        "bash": "set -e\n"
        "aws s3 cp {{ params.bucket }}/{{ ds_nodash }}/ /tmp/in --recursive\n"
        "psql -c \"delete from {{ params.table }} where day = '{{ ds }}'\"\n"
        "load --since {{ macros.ds_add(ds, -1) }} --file {{ ti.xcom_pull('extract').path }}\n",
        "env": [
            {"name": "RUN", "value": "{{ run_id }}"},
            {"name": "END", "value": "{{ data_interval_end | ts }}"},
        ],
    },
    "a loop and a macro": {
        "bash": "{% macro q(t) %}'{{ t }}'{% endmacro %}"
        "{% for t in ['a', 'b', 'c', 'd'] %}vacuum {{ q(t ~ '_' ~ ds_nodash) }};\n{% endfor %}"
    },
}


def per_render(task: TaskSpec, budget: timedelta | None) -> float:
    """CPU seconds of one render_task, averaged over RENDERS."""
    began = time.thread_time()
    for _ in range(RENDERS):
        render_task(task, CONTEXT, budget=budget)
    return (time.thread_time() - began) / RENDERS


def rows() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, fields in TASKS.items():
        task = TaskSpec.model_validate({"name": "load", **fields})
        render_task(task, CONTEXT)  # compile once: the cache serves later renders
        plain: list[float] = []
        budgeted: list[float] = []
        for _ in range(REPEATS):  # interleaved, so that load on the machine hits both
            plain.append(per_render(task, None))
            budgeted.append(per_render(task, BUDGET))
        without, with_budget = summarize(plain)["p50"], summarize(budgeted)["p50"]
        out[name] = {
            "no_budget_us": without * 1e6,
            "budget_us": with_budget * 1e6,
            "extra_us": (with_budget - without) * 1e6,
            "ratio": with_budget / without,
        }
    return out


if __name__ == "__main__":
    report("render_budget", rows(), unit=f"CPU per render_task, median of {REPEATS}x{RENDERS}")
