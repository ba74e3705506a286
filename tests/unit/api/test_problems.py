"""pydantic's validation errors as the one-line problems users see in conditions,
Events and CLI errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from kairflow.api.dag import DAGSpec, TaskSpec
from kairflow.api.problems import validation_problems


class Wordy(BaseModel):
    """A model whose error message spans lines, as some validators' messages do."""

    text: str

    @field_validator("text")
    @classmethod
    def _refuse(cls, value: str) -> str:
        raise ValueError("first line\n   second  line\tand a tab")


def error_of(model: type[BaseModel], data: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return raised.value


@pytest.mark.parametrize(
    ("model", "data", "where", "problems"),
    [
        pytest.param(
            DAGSpec,
            {"tasks": [{"name": "a", "retries": "x"}]},
            "",
            [
                "tasks.0.retries: Input should be a valid integer, "
                "unable to parse string as an integer"
            ],
            id="a problem is named by its field path, list indexes included",
        ),
        pytest.param(
            DAGSpec,
            {"tasks": [{"name": "a", "retries": "x"}]},
            "spec",
            [
                "spec.tasks.0.retries: Input should be a valid integer, "
                "unable to parse string as an integer"
            ],
            id="where the model sits prefixes every path",
        ),
        pytest.param(
            DAGSpec,
            {"bogus": 1},
            "",
            ["tasks: Field required", "bogus: Extra inputs are not permitted"],
            id="every problem is one line, in pydantic's order",
        ),
        pytest.param(
            TaskSpec,
            {"name": "a", "bash": "x", "python": "y"},
            "",
            ["manifest: Value error, task 'a': set only one of bash / python"],
            id="a problem of the whole object is the manifest's",
        ),
        pytest.param(
            TaskSpec,
            {"name": "a", "bash": "x", "python": "y"},
            "spec",
            ["spec: Value error, task 'a': set only one of bash / python"],
            id="a problem of the whole object named by where it sits",
        ),
        pytest.param(
            Wordy,
            {"text": "x"},
            "",
            ["text: Value error, first line second line and a tab"],
            id="line breaks and runs of spaces become single spaces",
        ),
    ],
)
def test_validation_problems(
    model: type[BaseModel], data: dict[str, Any], where: str, problems: list[str]
) -> None:
    assert validation_problems(error_of(model, data), where) == problems
