"""`kairflow dags test` refuses invalid input before it runs anything: one line, exit 2.
(Runs themselves, with real task processes, are in tests/e2e/test_dags_test.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from kairflow.cli.errors import EXIT_USAGE
from tests.cli import error_line, kairflow, write_dag

ONE_TASK = "tasks: [{name: a, bash: x}]"
ROWS = "params: {rows: {default: 3, type: integer, maximum: 100}}\n" + ONE_TASK


@pytest.mark.parametrize(
    ("spec", "args", "message"),
    [
        pytest.param(None, [], "cannot read", id="missing file"),
        pytest.param("tasks: [", [], "not valid YAML", id="broken YAML"),
        pytest.param(
            "tasks: [{name: a, bash: x}, {name: b, bash: y}]\nflow: ['a >> b >> a']",
            [],
            "cycle: a -> b -> a",
            id="a cycle",
        ),
        pytest.param(
            ONE_TASK, ["--conf", "[1]"], "--conf: must be a JSON object", id="conf not an object"
        ),
        pytest.param(ONE_TASK, ["--conf", "{"], "--conf: not valid JSON", id="conf not JSON"),
        pytest.param(
            ONE_TASK, ["--logical-date", "soon"], "invalid date-time", id="bad logical date"
        ),
        pytest.param(ONE_TASK, ["-o", "yaml"], "-o must be text or json", id="unknown output"),
        pytest.param(
            "tasks: [{name: a, bash: x, triggerRule: sometimes}]",
            [],
            "triggerRule",
            id="schema error",
        ),
        pytest.param(
            ROWS,
            ["--conf", '{"rows": 500}'],
            "cannot run: conf 'rows' must be <= 100, not 500 (param rows: maximum 100)",
            id="a conf above a param's maximum",
        ),
        pytest.param(
            "params: {table: {default: null, type: string}}\n" + ONE_TASK,
            [],
            "cannot run: conf 'table' is required (param table has no default)",
            id="a required param not given",
        ),
        pytest.param(
            "params: {rows: {default: 3, type: integr}}\n" + ONE_TASK,
            [],
            "param 'rows': invalid schema: type:",
            id="a param whose schema is no JSON schema",
        ),
        pytest.param(
            "tasks: [{name: a, bash: x, skipOnExitCode: [0]}]",
            [],
            "task 'a': skipOnExitCode cannot hold 0",
            id="a skip on exit code 0",
        ),
        pytest.param(
            "groups: [{name: g}]\ntasks: [{name: a, bash: x}, {name: b, bash: y, group: g}]\n"
            "flow: ['a >> gg']",
            [],
            "flow 'a >> gg': unknown task or task group 'gg'",
            id="a flow naming a task group that does not exist",
        ),
    ],
)
def test_invalid_input_exits_2_with_one_clear_line(
    tmp_path: Path, spec: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "missing.yaml" if spec is None else write_dag(tmp_path, spec)
    result = kairflow("dags", "test", str(path), *args)
    assert result.exit_code == EXIT_USAGE
    assert message in error_line(result)
