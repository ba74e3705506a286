"""The Code tab's YAML: scripts as literal blocks, definitions without status, diffs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kairflow.api.dag import DAGSpec
from kairflow.ui.definition import definition, spec_diff, yaml_text

_TASKS = [{"name": "extract", "bash": "echo extract"}]
SCRIPT = "import json\nprint(json.dumps({'a': 1}))\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {"name": "t", "python": SCRIPT},
            "name: t\npython: |\n  import json\n  print(json.dumps({'a': 1}))\n",
            id="a multi-line script is a literal block, one script line per YAML line",
        ),
        pytest.param(
            {"bash": 'echo "hi {{ ds }}"'},
            'bash: echo "hi {{ ds }}"\n',
            id="a one-line command stays on its line",
        ),
        pytest.param(
            {"bash": "echo a   \necho b\n"},
            'bash: "echo a   \\necho b\\n"\n',
            id="a script a block cannot hold exactly (trailing spaces) is quoted instead",
        ),
    ],
)
def test_yaml_text(data: dict[str, Any], expected: str) -> None:
    assert yaml_text(data) == expected
    assert yaml.safe_load(yaml_text(data)) == data


DAG_BODY = {
    "apiVersion": "kairflow.io/v1alpha1",
    "kind": "DAG",
    "metadata": {
        "name": "etl",
        "namespace": "team-a",
        "uid": "d7198496",
        "resourceVersion": "994",
        "generation": 3,
        "creationTimestamp": "2026-12-06T11:32:33Z",
        "labels": {"team": "a"},
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"DAG"}',
            "owner": "data",
        },
        "managedFields": [{"manager": "kubectl"}],
    },
    "spec": {"schedule": "@daily", "tasks": [{"name": "t", "bash": "echo"}]},
    "status": {"nextRun": {"logicalDate": "2026-12-07T00:00:00+00:00"}},
}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            DAG_BODY,
            {
                "apiVersion": "kairflow.io/v1alpha1",
                "kind": "DAG",
                "metadata": {
                    "name": "etl",
                    "namespace": "team-a",
                    "labels": {"team": "a"},
                    "annotations": {"owner": "data"},
                },
                "spec": DAG_BODY["spec"],
            },
            id="a DAG's definition is what its author wrote, without status or server fields",
        ),
        pytest.param(
            {
                **DAG_BODY,
                "metadata": {
                    "name": "etl",
                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
                },
            },
            {
                "apiVersion": "kairflow.io/v1alpha1",
                "kind": "DAG",
                "metadata": {"name": "etl"},
                "spec": DAG_BODY["spec"],
            },
            id="kubectl's last-applied copy alone leaves no annotations",
        ),
    ],
)
def test_definition(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert definition(body) == expected


def _spec(script: str) -> dict[str, Any]:
    return {"schedule": "@daily", "tasks": [{"name": "load", "python": script}]}


@pytest.mark.parametrize(
    ("ran", "current", "changed", "dag_exists"),
    [
        pytest.param(
            _spec("total = 0\nfor part in parts:\n    total += part\nprint(total)\n"),
            _spec("total = 0\nfor part in parts:\n    total += part * 2\nprint(total)\n"),
            ["-        total += part\n", "+        total += part * 2\n"],
            True,
            id="one changed line of an indented script is one removed and one added line",
        ),
        pytest.param(_spec("x\ny\n"), _spec("x\ny\n"), [], True, id="no changes since the run"),
        pytest.param(
            _spec("x\ny\n"), None, None, False, id="a DAG deleted since the run has no current spec"
        ),
    ],
)
def test_spec_diff(
    ran: dict[str, Any],
    current: dict[str, Any] | None,
    changed: list[str] | None,
    dag_exists: bool,
) -> None:
    found = spec_diff(ran, current, "etl-manual-1", "etl")
    assert found["dagExists"] is dag_exists
    assert yaml.safe_load(found["ran"]) == ran
    lines = found["diff"].splitlines(keepends=True)
    if changed is None:
        assert found["current"] == ""
        assert all(line.startswith(("---", "+++", "@@", "-")) for line in lines)
        return
    assert [
        line for line in lines if line[0] in "+-" and not line.startswith(("---", "+++"))
    ] == changed
    if changed:
        assert lines[:2] == ["--- etl-manual-1 (ran with)\n", "+++ dag/etl (now)\n"]


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(
            {"schedule": "@daily", "startDate": "2026-09-01", "paused": False, "tasks": _TASKS},
            id="a DAG written with a date-only startDate and paused: false",
        ),
        pytest.param(
            {"tasks": _TASKS, "catchup": True, "schedule": "@daily"},
            id="a DAG written with a default spelled out, its keys in another order",
        ),
    ],
)
def test_a_run_of_the_current_definition_shows_no_changes(written: dict[str, Any]) -> None:
    snapshot = DAGSpec.model_validate(written).to_wire()  # as the operator records it
    assert spec_diff(snapshot, written, "etl-manual-1", "etl")["diff"] == ""
