"""The sample task instance the templating tests render for, and how they render."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kairflow.api.dag import TaskSpec
from kairflow.core.templating import TemplateContext, TemplateError, build_context, render

KST = timezone(timedelta(hours=9))

BASE = TemplateContext(
    dag_name="sample-dag",
    run_id="scheduled__2021-01-01T00:00:00+00:00",
    run_type="scheduled",
    logical_date=datetime(2021, 1, 1, tzinfo=UTC),
    data_interval_start=datetime(2021, 1, 1, tzinfo=UTC),
    data_interval_end=datetime(2021, 1, 2, tzinfo=UTC),
    task_name="extract",
    params={"fruit": "apple", "size": {"w": 1, "h": 2}, "n": 3},
    conf={"fruit": "pear", "extra": True},
    try_number=2,
    xcoms={
        "first": {"rows": 10, "path": "/tmp/a"},
        "scalar": 7,
        "listy": [1, 2],
        "mapped": [10, None, 30],
    },
    mapped_tasks=frozenset({"mapped"}),
    timezone="Asia/Seoul",
)
MAPPED = dataclasses.replace(
    BASE, task_name="fan", map_index=2, expand_item={"city": "Seoul", "n": 5}
)


def rendered(template: str, ctx: TemplateContext = BASE) -> str:
    return render(template, build_context(ctx), "bash")


def failure(template: str, ctx: TemplateContext = BASE) -> str:
    with pytest.raises(TemplateError) as info:
        rendered(template, ctx)
    return str(info.value)


def task(**fields: Any) -> TaskSpec:
    return TaskSpec.model_validate({"name": "extract", **fields})
