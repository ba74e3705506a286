"""Durations where zero makes no sense (a timeout, the time between pokes) are refused
at zero with the limit in the message; the schema's pattern cannot tell "0s" from
"5s", so the DAG's condition and Event say it (`api.types.PositiveDuration`)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from kairflow.api.approval import ApprovalSpec
from kairflow.api.callbacks import CallbackSpec
from kairflow.api.dag import DAGSpec
from kairflow.api.problems import validation_problems


def task(**fields: Any) -> dict[str, Any]:
    return {"tasks": [{"name": "a", "bash": "true", **fields}]}


def problems_of(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return validation_problems(exc)
    return []


@pytest.mark.parametrize(
    ("model", "data", "problems"),
    [
        pytest.param(
            DAGSpec,
            task(executionTimeout="0s"),
            ["tasks.0.executionTimeout: Value error, must be longer than 0s (got 0s)"],
            id="a task's executionTimeout of 0s is refused, naming the limit",
        ),
        pytest.param(
            DAGSpec,
            task(sensor={"pokeInterval": "PT0S"}),
            ["tasks.0.sensor.pokeInterval: Value error, must be longer than 0s (got 0s)"],
            id="a sensor poking every 0s is refused, however it is written",
        ),
        pytest.param(
            DAGSpec,
            task(sensor={"timeout": "0m"}),
            ["tasks.0.sensor.timeout: Value error, must be longer than 0s (got 0s)"],
            id="a sensor giving up at once is refused",
        ),
        pytest.param(
            DAGSpec,
            {**task(), "dagrunTimeout": "0h"},
            ["dagrunTimeout: Value error, must be longer than 0s (got 0s)"],
            id="a dagrunTimeout of zero is refused",
        ),
        pytest.param(
            CallbackSpec,
            {"bash": "true", "executionTimeout": "0s"},
            ["executionTimeout: Value error, must be longer than 0s (got 0s)"],
            id="a callback's executionTimeout of zero is refused",
        ),
        pytest.param(
            ApprovalSpec,
            {"subject": "ship it?", "timeout": "0d"},
            ["timeout: Value error, must be longer than 0s (got 0s)"],
            id="an approval deciding by itself at once is refused",
        ),
        pytest.param(
            DAGSpec,
            task(retryDelay="0s", executionTimeout="1ms"),
            [],
            id="a retryDelay of zero still means retry at once, and 1ms is a timeout",
        ),
    ],
)
def test_durations_where_zero_makes_no_sense_are_refused_at_zero(
    model: type[BaseModel], data: dict[str, Any], problems: list[str]
) -> None:
    assert problems_of(model, data) == problems
