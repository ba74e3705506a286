from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kairflow.api import DAG, DagRun, TaskSpec, TriggerRule
from kairflow.api.pool import Pool

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "dags").glob("*.yaml"))


def minimal_dag(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": "d"},
        "spec": {"tasks": [{"name": "a", "bash": "true"}], **spec},
    }


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_dag_is_valid(path: Path) -> None:
    """Each example has a DAG; some also bring what it uses (a Pool)."""
    kinds = {"DAG": DAG, "Pool": Pool}
    found = [kinds[d["kind"]].model_validate(d) for d in documents(path)]
    dags = [d for d in found if isinstance(d, DAG)]
    assert dags and all(dag.spec.tasks for dag in dags)


def test_example_dags_are_the_classic_tutorials() -> None:
    names = {d["metadata"]["name"] for p in EXAMPLES for d in documents(p)}
    assert {"sample-dag", "my-python-dag", "hello-world"} <= names


def test_camel_case_on_the_wire_snake_case_in_python() -> None:
    dag = DAG.model_validate(
        minimal_dag(maxActiveRuns=3, dagrunTimeout="2h", defaults={"retryDelay": "5m"})
    )
    assert dag.spec.max_active_runs == 3
    assert dag.spec.dagrun_timeout is not None
    assert dag.spec.dagrun_timeout.total_seconds() == 7200
    assert dag.spec.to_wire()["dagrunTimeout"] == "2h"
    assert dag.spec.to_wire()["defaults"] == {"retryDelay": "5m"}


def test_to_wire_is_compact() -> None:
    dag = DAG.model_validate(minimal_dag())
    assert dag.spec.to_wire() == {"tasks": [{"name": "a", "bash": "true"}]}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param({"tasks": []}, "at least 1", id="no tasks"),
        pytest.param({"catchupp": True}, "catchupp", id="typo in a field name"),
        pytest.param({"maxActiveRuns": 0}, "greater than or equal to 1", id="zero runs"),
        pytest.param({"dagrunTimeout": "soon"}, "invalid duration 'soon'", id="bad duration"),
        pytest.param({"startDate": "yesterday"}, "invalid date-time", id="bad date"),
        pytest.param(
            {"tasks": [{"name": "a", "triggerRule": "most_success"}]},
            "all_success",
            id="unknown trigger rule",
        ),
        pytest.param({"tasks": [{"name": "bad name"}]}, "pattern", id="bad task name"),
        pytest.param(
            {"tasks": [{"name": "a", "bash": "x", "python": "y"}]},
            "only one of bash / python",
            id="two kinds",
        ),
    ],
)
def test_invalid_dags_name_the_problem(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DAG.model_validate(minimal_dag(**spec))


def test_task_without_command_is_empty() -> None:
    assert TaskSpec(name="join").is_empty
    assert not TaskSpec(name="a", bash="true").is_empty


def test_trigger_rules_are_airflows() -> None:
    assert {r.value for r in TriggerRule} == {
        "all_success",
        "all_failed",
        "all_done",
        "all_skipped",
        "one_success",
        "one_failed",
        "one_done",
        "none_failed",
        "none_failed_min_one_success",
        "none_skipped",
        "always",
        "all_done_setup_success",
    }


def test_manual_dagrun_needs_only_the_dag_name() -> None:
    run = DagRun.model_validate({"metadata": {"name": "r"}, "spec": {"dagName": "d"}})
    assert run.spec.run_type == "manual"
    assert run.spec.conf == {}


def test_the_typed_params_example_refuses_a_conf_naming_the_param() -> None:
    from kairflow.core.params import conf_problems
    from kairflow.core.validation import validate_dag

    dag = DAG.model_validate(yaml.safe_load((ROOT / "dags/typed_params.yaml").read_text()))
    assert validate_dag(dag.spec) == []
    assert conf_problems(dag.spec.params, {"table": "sales", "rows": 50}) == []
    assert conf_problems(dag.spec.params, {"table": "sales", "rows": 500}) == [
        "conf 'rows' must be <= 100, not 500 (param rows: maximum 100)"
    ]
    assert conf_problems(dag.spec.params, {}) == [
        "conf 'table' is required (param table has no default)"
    ]
