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
from kairflow.cli.render import to_yaml
from tests.cli import kairflow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "airflow"
OUTCOMES = FIXTURES / "outcomes.json"

NOT_CONVERTED = "not converted"

EXPECTED_DIFFERENCES: dict[str, str] = {}
"""dag_id -> why Kairflow cannot reach Airflow's outcome for it."""

NOT_COMPARED: dict[str, str] = {}
"""dag_id -> why Airflow's own outcome is not a function of the file and the date."""


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
