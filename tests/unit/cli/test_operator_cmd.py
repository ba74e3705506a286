"""`kairflow operator` flags: they override KAIRFLOW_* variables, and a bad one is a
clear error before anything starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import Result

from kairflow.cli.errors import EXIT_USAGE
from kairflow.controller import main
from kairflow.controller.settings import OperatorSettings
from tests.cli import error_line, kairflow


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[OperatorSettings]:
    """The settings the operator would have started with (it is not started)."""
    seen: list[OperatorSettings] = []

    def run_operator(settings: OperatorSettings, verbose: bool = False) -> None:
        seen.append(settings)

    monkeypatch.setattr(main, "run_operator", run_operator)
    return seen


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return kairflow("operator", *args, env=env)


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
    assert result.exit_code == EXIT_USAGE
    assert says in error_line(result)
    assert started == []
