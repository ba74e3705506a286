"""A bash task's last line of stdout as its XCom: the wrapper run by a real bash, as
the task's container runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from kairflow.core.bash_xcom import WRAPPER, as_written, bash_command
from kairflow.core.validation import validate_dag
from kairflow.localnode.env import expand
from tests.unit.core.planner_harness import Simulation, make_run, make_spec
from tests.unit.core.planner_harness import xcom as xcom_outcome


def run(
    tmp_path: Path, script: str, *args: str, written: str | None = None
) -> tuple[int, str, str, str | None]:
    xcom_file = tmp_path / "termination-log"
    if written is not None:
        xcom_file.write_text(written)
    done = subprocess.run(
        [*bash_command(script, push_last_line=True), *args],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "KAIRFLOW_XCOM_FILE": str(xcom_file)},
        timeout=30,
        check=False,
    )
    xcom = xcom_file.read_text() if xcom_file.exists() else None
    return done.returncode, done.stdout, done.stderr, xcom


@pytest.mark.parametrize(
    ("script", "xcom"),
    [
        pytest.param("echo one; echo two", "two", id="the last line is pushed"),
        pytest.param("printf 'no newline'", "no newline", id="a last line without newline"),
        pytest.param("echo 'spaces   '", "spaces", id="trailing whitespace is stripped"),
        pytest.param("echo one; echo", "", id="an empty last line pushes an empty string"),
        pytest.param("true", "", id="no output pushes an empty string, as Airflow"),
        pytest.param("echo 42", "42", id="a number stays a string, as Airflow's"),
        pytest.param(
            r"""printf '%s\t\\ \x01 "q"\n' a""", 'a\t\\ \x01 "q"',
            id="quotes, backslashes and control characters are escaped",
        ),
        pytest.param("echo héllo wörld", "héllo wörld", id="UTF-8 passes through"),
        pytest.param("echo out; echo err >&2", "out", id="stderr is not stdout"),
    ],
)  # fmt: skip
def test_the_last_line_of_stdout_is_the_xcom(tmp_path: Path, script: str, xcom: str) -> None:
    code, _, _, written = run(tmp_path, script)
    assert code == 0
    assert written is not None and json.loads(written) == xcom


def test_stdout_reaches_the_log_unchanged(tmp_path: Path) -> None:
    script = "for i in $(seq 1 2000); do echo line $i; done"
    _, stdout, _, written = run(tmp_path, script)
    assert stdout == "".join(f"line {i}\n" for i in range(1, 2001))
    assert written == '"line 2000"'


def test_args_are_the_scripts_positional_parameters(tmp_path: Path) -> None:
    _, _, _, written = run(tmp_path, 'echo "$0 $1 $2"', "zero", "one", "two")
    assert written == '"zero one two"'


@pytest.mark.parametrize("code", [1, 3, 99], ids=lambda c: f"exit {c} keeps its code, no XCom")
def test_a_failed_or_skipped_task_pushes_nothing(tmp_path: Path, code: int) -> None:
    assert run(tmp_path, f"echo hi; exit {code}") == (code, "hi\n", "", None)


def test_an_xcom_the_script_wrote_itself_wins(tmp_path: Path) -> None:
    script = 'echo \'{"rows": 3}\' > "$KAIRFLOW_XCOM_FILE"; echo done'
    assert json.loads(run(tmp_path, script)[3] or "") == {"rows": 3}


def test_a_last_line_over_the_limit_is_not_pushed(tmp_path: Path) -> None:
    code, _, stderr, written = run(tmp_path, "head -c 1048575 /dev/zero | tr '\\0' a")
    assert code == 0 and written is None
    assert "1048577 bytes as JSON, over the 1048576-byte XCom limit: not pushed" in stderr


def test_without_push_the_script_runs_alone() -> None:
    assert bash_command("echo hi", push_last_line=False) == ["bash", "-c", "echo hi"]


@pytest.mark.parametrize(
    ("push", "xcom"),
    [
        pytest.param({}, "x", id="a task's XCom is recorded by default"),
        pytest.param({"doXcomPush": False}, None, id="doXcomPush false records none"),
    ],
)
def test_do_xcom_push_decides_whether_the_xcom_is_recorded(
    push: dict[str, bool], xcom: str | None
) -> None:
    spec = make_spec([{"name": "a", "python": "print()", **push}])
    sim = Simulation(make_run(spec), script={"a": [xcom_outcome('"x"')]})
    sim.run_to_end()
    assert sim.status.task_instances["a"].xcom == xcom


def test_a_branch_cannot_turn_its_xcom_off() -> None:
    spec = make_spec([{"name": "a", "bash": "echo b", "branch": True, "doXcomPush": False}])
    assert any("doXcomPush cannot be false" in p for p in validate_dag(spec))


def test_kubernetes_variable_expansion_leaves_the_wrapper_intact() -> None:
    """Kubernetes (and the node agent) expand `$(VAR)` and `$$` in a container's
    command: the wrapper has neither, whatever the environment defines."""
    env = {"KAIRFLOW_XCOM_FILE": "/dev/termination-log", "line": "x", "rc": "0", "out": "y"}
    assert expand(WRAPPER, env) == WRAPPER


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        pytest.param(
            [*bash_command("echo $0", push_last_line=True), "a"],
            ["bash", "-c", "echo $0", "a"],
            id="views show a bash task's script, not the wrapper",
        ),
        pytest.param(
            ["sh", "-c", "x"], ["sh", "-c", "x"], id="other commands are shown as they are"
        ),
    ],
)
def test_the_command_as_written(command: list[str], shown: list[str]) -> None:
    assert as_written(command) == shown
