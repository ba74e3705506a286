"""`kairflow operator` flags: they override KAIRFLOW_* variables, and a bad one is a
clear error before anything starts."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from kairflow.cli.errors import UserError
from kairflow.cli.main import app
from kairflow.controller import main
from kairflow.controller.settings import OperatorSettings

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[OperatorSettings]:
    """The settings the operator would have started with (it is not started)."""
    seen: list[OperatorSettings] = []

    def run_operator(settings: OperatorSettings, verbose: bool = False) -> None:
        seen.append(settings)

    monkeypatch.setattr(main, "run_operator", run_operator)
    return seen


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["operator", *args], env=env)


def test_flags_become_settings_and_win_over_variables(started: list[OperatorSettings]) -> None:
    result = invoke(
        "-n", "team-a", "-n", "team-b", "--parallelism", "3", "--pools", "db=1",
        "--default-image", "busybox:1.36", "--startup-timeout", "90s", "--standby",
        "--metrics-port", "0", "--liveness-port", "8081",
        env={"KAIRFLOW_PARALLELISM": "9", "KAIRFLOW_FAILED_HISTORY": "4"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (settings,) = started
    assert settings.namespaces == ("team-a", "team-b")
    assert (settings.parallelism, settings.pools) == (3, {"db": 1})
    assert (settings.default_image, settings.startup_timeout) == (
        "busybox:1.36",
        timedelta(seconds=90),
    )
    assert (settings.standby, settings.metrics_port, settings.liveness_port) == (True, 0, 8081)
    assert settings.failed_runs_history == 4, "a variable no flag overrides still counts"


def test_all_namespaces_is_the_default(started: list[OperatorSettings]) -> None:
    assert invoke("--all-namespaces").exit_code == 0
    assert started[0].namespaces == ()


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["-n", "a", "--all-namespaces"], {}, "either --namespace or --all-namespaces"),
        (["--pools", "db"], {}, "invalid pool 'db'"),
        (["--startup-timeout", "soon"], {}, "invalid duration 'soon'"),
        ([], {"KAIRFLOW_POD_CLEANUP": "sometimes"}, "pod cleanup 'sometimes'"),
    ],
)
def test_a_bad_flag_or_variable_is_a_clear_error(
    started: list[OperatorSettings], args: list[str], env: dict[str, str], says: str
) -> None:
    result = invoke(*args, env=env)
    assert isinstance(result.exception, UserError), result.output
    assert says in str(result.exception)
    assert started == []


def test_the_command_line_prints_one_line_and_exits_non_zero() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kairflow.cli.main", "operator", "--pools", "db"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip() == "error: invalid pool 'db': use name=slots, e.g. db=2"
