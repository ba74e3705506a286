"""Airflow's own example DAGs, converted by `kairflow dags import-airflow` and run with
`kairflow dags test` (each task a real local process), reach the final states real
Airflow 2.10.5 gave them (tests/fixtures/airflow/outcomes.json, recorded by
tests/fixtures/airflow/record_outcomes.py with `airflow dags test`).

Every DAG with a recorded outcome is compared: the run state and every task instance's
state (mapped ones as `task[i]`). The DAGs that cannot reach Airflow's outcome are
listed in EXPECTED_DIFFERENCES with the reason: the test fails when a listed DAG starts
to match (shrink the list) or an unlisted one diverges. DAGs whose Airflow outcome
depends on the wall clock are in NOT_COMPARED. Idle waits (retry delays, poke
intervals) are skipped with a virtual clock (`--no-retry-delay`); `sleep`s in the
tasks themselves are real (example_sla_dag sleeps 50 s, the longest).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from kairflow.airflow_import import FileReport, import_file
from kairflow.cli.errors import EXIT_USAGE
from kairflow.cli.render import to_yaml
from tests.cli import kairflow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "airflow"
OUTCOMES = FIXTURES / "outcomes.json"

NOT_CONVERTED = "not converted"

_ON_ALIAS = "scheduled on a DatasetAlias (resolved by Airflow at run time): not converted"
_EVENTS = "the task reads/writes dataset events (outlet_events / inlet_events / Metadata)"
_CUSTOM = "a custom BaseOperator subclass: its execute() cannot run on Kairflow"
_NO_EQUIVALENT = "uses an operator Kairflow has no equivalent for"

EXPECTED_DIFFERENCES: dict[str, str] = {
    "example_branch_datetime_operator": f"BranchDateTimeOperator: {_NO_EQUIVALENT}",
    "example_branch_datetime_operator_2": f"BranchDateTimeOperator: {_NO_EQUIVALENT}",
    "example_branch_datetime_operator_3": f"BranchDateTimeOperator: {_NO_EQUIVALENT}",
    "example_weekday_branch_operator": f"BranchDayOfWeekOperator: {_NO_EQUIVALENT}",
    "example_dynamic_task_mapping_with_no_taskflow_operators": _CUSTOM,
    "example_skip_dag": _CUSTOM,
    "example_external_task_marker_child": (
        "dags test runs one DAG: its ExternalTaskSensor cannot see the parent's run (Airflow's "
        "recorder ran it first in the same database), so child_task1 times out"
    ),
    "example_xcom": "XComArg(key=...), xcom_push and keyed xcom_pull: a task has one XCom",
    "tutorial_dag": "ti.xcom_push(key, value): a task has one XCom (its return value)",
    "dataset_alias_example_alias_producer": _EVENTS,
    "dataset_alias_example_alias_producer_with_no_taskflow": _EVENTS,
    "dataset_with_extra_by_yield": _EVENTS,
    "dataset_with_extra_by_context": _EVENTS,
    "read_dataset_event": _EVENTS,
    **dict.fromkeys(
        [
            "dataset_alias_example_alias_consumer",
            "dataset_alias_example_alias_consumer_with_no_taskflow",
        ],
        _ON_ALIAS,
    ),
}
"""dag_id -> why Kairflow cannot reach Airflow's outcome for it. Written before
outcomes.json was recorded, from the conversion report and Kairflow's runs: check it
against the recording (the test says which rows are wrong)."""

FAILS_IN_BOTH: dict[str, str] = {
    "example_trigger_controller_dag": (
        "Airflow: the DAG it triggers is in another file (DagNotFound); Kairflow: dags test "
        "runs one DAG, so the trigger finds no DAG to trigger and fails"
    ),
    "tutorial_taskflow_templates": (
        "Airflow: the template file sql/test.sql does not exist; Kairflow: "
        "task.render_template() at run time is not available"
    ),
    "example_passing_params_via_test_command": (
        "both fail also_run_this on {{ params.foo }}, which is no param in either"
    ),
    "read_dataset_event_from_classic": (
        f"Airflow: its template names Dataset, which templates do not have; Kairflow: {_EVENTS}"
    ),
}
"""dag_id -> why both fail (the same states are compared like any other row; the note
keeps the reasons apart where they differ)."""

NOT_COMPARED: dict[str, str] = {
    "example_sensors": (
        "wall clock: TimeSensor targets from now() at parse time, DayOfWeekSensor on "
        "today's weekday, FileSensor needs Airflow's fs_default connection"
    ),
}
"""dag_id -> why Airflow's own outcome is not a function of the file and the date
(converted and run, not compared)."""


def _recorded() -> list[Any]:
    if not OUTCOMES.exists():
        return [pytest.param(None, None, None, id="outcomes.json not recorded yet")]
    recorded = json.loads(OUTCOMES.read_text())
    return [
        pytest.param(file, dag_id, outcome, id=dag_id)
        for file, dags in recorded.items()
        if not file.startswith("_")
        for dag_id, outcome in dags.items()
        if not dag_id.startswith("_")
    ]


@functools.cache
def _converted(file: str) -> FileReport:
    return import_file(FIXTURES / "dags" / file)


def kairflow_outcome(file: str, dag_id: str, logical_date: str, workdir: Path) -> dict[str, Any]:
    """{run_state, tasks} of the converted DAG under `kairflow dags test`, or
    {run_state: "not converted", why}."""
    report = _converted(file)
    if report.error is not None:
        return {"run_state": NOT_CONVERTED, "why": str(report.error)}
    manifests = {d.dag_id: d.manifest for d in report.converted}
    if dag_id not in manifests:
        why = [r.reason for r in report.refused if r.dag_id == dag_id]
        return {"run_state": NOT_CONVERTED, "why": why}
    path = workdir / f"{dag_id}.yaml"
    path.write_text(to_yaml([manifests[dag_id]]))
    ran = kairflow(
        "dags", "test", str(path), "--logical-date", logical_date, "--no-retry-delay", "-o", "json"
    )
    if ran.exit_code == EXIT_USAGE and "cannot run: " in ran.stderr:
        return {"run_state": None, "tasks": {}}  # refused, as Airflow refuses to create it
    assert ran.stdout, ran.stderr
    result = json.loads(ran.stdout)
    return {
        "run_state": result["state"],
        "tasks": {key: ti["state"] for key, ti in result["tasks"].items()},
    }


def airflow_outcome(outcome: dict[str, Any]) -> dict[str, Any]:
    return {"run_state": outcome["run_state"], "tasks": outcome["tasks"]}


@pytest.mark.parametrize(("file", "dag_id", "outcome"), _recorded())
def test_a_converted_example_reaches_airflows_outcome(
    file: str | None, dag_id: str | None, outcome: dict[str, Any] | None, tmp_path: Path
) -> None:
    if file is None or dag_id is None or outcome is None:
        pytest.skip(f"{OUTCOMES} is not there yet (recorded with real Airflow)")
    ours = kairflow_outcome(file, dag_id, outcome["logical_date"], tmp_path)
    if dag_id in NOT_COMPARED:
        assert ours["run_state"] != NOT_CONVERTED, ours
        return
    theirs = airflow_outcome(outcome)
    if dag_id in EXPECTED_DIFFERENCES:
        assert ours != theirs, (
            f"{dag_id} now reaches Airflow's outcome: remove it from EXPECTED_DIFFERENCES"
        )
    else:
        assert ours == theirs, f"{dag_id}: Kairflow {ours}\nAirflow {theirs}"
        if dag_id in FAILS_IN_BOTH:
            assert theirs["run_state"] == "failed", f"{dag_id} no longer fails: drop its note"
