"""The Python example DAGs (dags/python/) render, and run end to end with `kairflow
dags test` (each task a real local process) to the expected states and XComs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kairflow.cli.manifests import load_dag
from kairflow.core.run_model import RunContext
from kairflow.localnode.local_run import LocalRun
from tests.cli import kairflow

ROOT = Path(__file__).resolve().parents[3]
OK = "success"


@pytest.mark.parametrize(
    ("example", "states"),
    [
        pytest.param(
            "tutorial_classic.py",
            {
                "print_date": OK,
                "hello": OK,
                "checks.disk": OK,
                "checks.echo": OK,
                "done": OK,
            },
            id="classic operators, a task group and >>",
        ),
        pytest.param(
            "taskflow_etl.py",
            {
                "extract": OK,
                "price[0]": OK,
                "price[1]": OK,
                "price[2]": OK,
                "total": OK,
                "size": OK,
                "big_order": OK,
                "small_order": "skipped",
            },
            id="TaskFlow with XComs, a mapped task and a branch",
        ),
        pytest.param(
            "classic_mapping.py",
            {
                "echo[0]": OK,
                "echo[1]": OK,
                "list_commands": OK,
                "run_command[0]": OK,
                "run_command[1]": OK,
                "greet[0]": OK,
                "greet[1]": OK,
                "add[0]": OK,
                "add[1]": OK,
                "list_batches": OK,
                "sum_batch[0]": OK,
                "sum_batch[1]": OK,
                "sum_batch[2]": OK,
                "total": OK,
            },
            id="classic operators mapped with partial and expand",
        ),
        pytest.param(
            "task_groups.py",
            {
                "extract": OK,
                "transform.clean": OK,
                "transform.join": OK,
                "transform.checks.rows": OK,
                "publish.upload": OK,
                "publish__1.upload": OK,
                "done": OK,
            },
            id="task groups: nested, with default_args, and a task group function called twice",
        ),
        pytest.param(
            "mapping_product.py",
            {
                "sizes": OK,
                "price[0]": OK,
                "price[1]": OK,
                "label[0]": OK,
                "label[1]": OK,
                "label[2]": OK,
                "label[3]": OK,
                "collect": OK,
                "count_prices": OK,
                "greet[0]": OK,
                "greet[1]": OK,
                "greet[2]": OK,
                "greet[3]": OK,
                "say[0]": OK,
                "say[1]": OK,
            },
            id="mapping over a cross product of arguments and over a list of dicts",
        ),
    ],
)
def test_an_example_renders_and_runs_with_dags_test(example: str, states: dict[str, str]) -> None:
    path = ROOT / "dags" / "python" / example
    rendered = kairflow("dags", "render", str(path))
    assert rendered.exit_code == 0, rendered.stderr
    assert rendered.stderr == ""
    ran = kairflow("dags", "test", str(path), "--logical-date", "2024-01-06", "-o", "json")
    assert ran.exit_code == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["state"] == OK
    assert {k: v["state"] for k, v in result["tasks"].items()} == states


def xcoms_of_a_run(path: Path, workdir: Path) -> dict[str, Any]:
    dag = load_dag(path)
    when = datetime(2024, 1, 6, tzinfo=UTC)
    run = RunContext(
        namespace="local",
        dag_name=dag.metadata.name,
        name=f"{dag.metadata.name}-manual",
        uid=None,
        run_type="manual",
        run_id="manual__2024-01-06",
        logical_date=when,
        data_interval_start=when,
        data_interval_end=when,
        spec=dag.spec,
        conf={"who": "tests"},
    )
    status = LocalRun(run, workdir).execute()
    assert status.state == OK, status.message
    return {key: ti.xcom for key, ti in status.task_instances.items() if ti.xcom is not None}


def test_the_taskflow_example_passes_its_values_along(tmp_path: Path) -> None:
    xcoms = xcoms_of_a_run(ROOT / "dags" / "python" / "taskflow_etl.py", tmp_path)
    assert xcoms == {
        "extract": [1, 2, 3],
        "price[0]": 3,
        "price[1]": 6,
        "price[2]": 9,
        "total": 18,
        "size": "big_order",
        "big_order": "big order: 18",
    }


def test_the_classic_example_renders_params_and_conf_into_the_callable(tmp_path: Path) -> None:
    xcoms = xcoms_of_a_run(ROOT / "dags" / "python" / "tutorial_classic.py", tmp_path)
    assert xcoms["hello"] == "hello tests, today is 2024-01-06"
    # Each BashOperator pushes the last line of its stdout, as in Airflow.
    assert xcoms["checks.echo"] == "hello tests, today is 2024-01-06"
    assert set(xcoms) == {"hello", "print_date", "checks.disk", "checks.echo"}


def test_the_classic_mapping_example_gives_each_instance_its_item(tmp_path: Path) -> None:
    xcoms = xcoms_of_a_run(ROOT / "dags" / "python" / "classic_mapping.py", tmp_path)
    assert xcoms == {
        "echo[0]": "2024-01-06",
        "echo[1]": 2,
        "list_commands": ['echo 10 > "$KAIRFLOW_XCOM_FILE"', 'echo 20 > "$KAIRFLOW_XCOM_FILE"'],
        "run_command[0]": 10,
        "run_command[1]": 20,
        "greet[0]": "ann",
        "greet[1]": "bob",
        "add[0]": 3,
        "add[1]": 10,
        "list_batches": [[1, 2], [3, 4], [5, 6]],
        "sum_batch[0]": 3,
        "sum_batch[1]": 7,
        "sum_batch[2]": 11,
        "total": 21,
    }


def test_the_product_example_gives_each_instance_its_combination_in_airflows_order(
    tmp_path: Path,
) -> None:
    xcoms = xcoms_of_a_run(ROOT / "dags" / "python" / "mapping_product.py", tmp_path)
    assert [xcoms[f"label[{i}]"] for i in range(4)] == [
        "small red",
        "large red",
        "small blue",
        "large blue",
    ]
    assert [xcoms["price[0]"], xcoms["price[1]"]] == [10, 25]
    assert (xcoms["collect"], xcoms["count_prices"]) == (4, 2)
    assert [xcoms[f"greet[{i}]"] for i in range(4)] == ["hi ann", "hi bob", "bye ann", "bye bob"]
    assert [xcoms["say[0]"], xcoms["say[1]"]] == ["one 1", "two 2"]
