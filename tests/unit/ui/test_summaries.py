"""What each object looks like on the wire to the pages."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.ui.structure import structure
from kairflow.ui.summaries import dag_summary, run_summary


@pytest.mark.parametrize(
    ("spec", "status", "field", "expected"),
    [
        pytest.param(
            {"schedule": "0 6 * * *"},
            {},
            "scheduleWords",
            "at 06:00 every day",
            id="a cron schedule reads in words",
        ),
        pytest.param(
            {},
            {},
            "scheduleWords",
            "None (manual runs only)",
            id="a DAG without a schedule says it runs only by hand",
        ),
        pytest.param(
            {},
            {"scheduleDescription": "the operator's words"},
            "scheduleWords",
            "the operator's words",
            id="the operator's own description wins",
        ),
        pytest.param(
            {"defaults": {"owner": "ann"}, "tasks": [{"owner": "bob"}, {"owner": "ann"}]},
            {},
            "owners",
            ["ann", "bob"],
            id="owners are listed once each",
        ),
        pytest.param(
            {"groups": [{"name": "g", "defaults": {"owner": "cy"}}], "tasks": [{"owner": "bob"}]},
            {},
            "owners",
            ["cy", "bob"],
            id="a task group's owner is an owner of the DAG",
        ),
        pytest.param(
            {},
            {"conditions": [{"type": "Ready", "status": "False", "message": "cycle"}]},
            "ready",
            {"status": "False", "reason": None, "message": "cycle"},
            id="an invalid DAG carries its problem",
        ),
        pytest.param({}, {}, "paused", False, id="a DAG is active unless paused"),
        pytest.param(
            {"params": {"who": "me", "rows": {"default": 3, "maximum": 9}, "obj": {"a": 1}}},
            {},
            "paramSpecs",
            {
                "who": {"default": "me", "schema": {"type": "string"}, "plain": True},
                "rows": {"default": 3, "schema": {"default": 3, "maximum": 9}, "plain": False},
                "obj": {"default": {"a": 1}, "schema": {"type": "object"}, "plain": True},
            },
            id="the trigger form gets each param's default and schema as the server reads them",
        ),
        pytest.param(
            {"assets": {"all": ["s3://a", "s3://b"]}},
            {"queuedAssetEvents": {"s3://a": 1, "s3://b": 0}},
            "queuedAssetEvents",
            {"s3://a": 1, "s3://b": 0},
            id="a DAG on assets shows which have events queued and which it waits on",
        ),
    ],
)
def test_dag_summary(
    spec: dict[str, Any], status: dict[str, Any], field: str, expected: Any
) -> None:
    found = dag_summary({"metadata": {"name": "etl"}, "spec": spec, "status": status})
    if field == "scheduleWords" and spec.get("schedule"):
        assert expected in found[field]
    else:
        assert found[field] == expected


def test_a_run_for_the_dag_list_leaves_out_its_task_instances() -> None:
    body = {
        "metadata": {"name": "r"},
        "spec": {"dagName": "etl"},
        "status": {"state": "running", "taskInstances": {"a": {"state": "success"}}},
    }
    assert "tis" not in run_summary(body, instances=False)
    assert run_summary(body, instances=True)["tis"] == {"a": ["success", 0, None, None, None]}


def test_a_run_not_yet_seen_by_the_operator_is_queued_with_its_asked_date() -> None:
    body = {"metadata": {"name": "r"}, "spec": {"dagName": "etl", "logicalDate": "2026-01-01"}}
    found = run_summary(body, instances=True)
    assert (found["state"], found["logicalDate"], found["runType"]) == (
        "queued",
        "2026-01-01",
        "manual",
    )


def test_tasks_of_a_group_and_mapped_tasks_are_marked() -> None:
    spec = {
        "tasks": [
            {"name": "start", "bash": "true"},
            {"name": "etl.extract", "bash": "true", "dependsOn": ["start"]},
            {"name": "fan", "bash": "true", "expand": {"items": [1, 2]}, "dependsOn": ["start"]},
        ]
    }
    tasks = {t["name"]: t for t in structure(spec)["tasks"]}
    assert tasks["etl.extract"]["group"] == "etl"
    assert tasks["fan"]["mapped"] is True
    assert tasks["start"]["group"] is None


def test_setups_teardowns_and_latest_only_are_shown_on_the_graph() -> None:
    spec = {
        "tasks": [
            {"name": "create", "bash": "true", "setup": True},
            {"name": "latest", "latestOnly": True, "dependsOn": ["create"]},
            {"name": "delete", "bash": "true", "teardown": True, "dependsOn": ["latest"]},
        ]
    }
    tasks = {t["name"]: t for t in structure(spec)["tasks"]}
    assert (tasks["create"]["role"], tasks["delete"]["role"], tasks["latest"]["role"]) == (
        "setup",
        "teardown",
        None,
    )
    assert tasks["latest"]["operator"] == "LatestOnly"
    assert tasks["delete"]["triggerRule"] == "all_done_setup_success"


def test_a_dag_with_a_cycle_still_has_its_tasks_without_edges() -> None:
    spec = {
        "tasks": [
            {"name": "a", "bash": "true", "dependsOn": ["b"]},
            {"name": "b", "bash": "true", "dependsOn": ["a"]},
        ]
    }
    found = structure(spec)
    assert found["valid"] is False
    assert [t["name"] for t in found["tasks"]] == ["a", "b"]
    assert all(t["upstream"] == [] for t in found["tasks"])


def test_a_spec_that_is_not_a_dag_has_no_tasks() -> None:
    assert structure({"tasks": "nonsense"}) == {"tasks": [], "valid": False}
