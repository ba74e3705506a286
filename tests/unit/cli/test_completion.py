"""Completion as kubectl asks a plugin for it (`kubectl_complete-kairflow ARGS...`):
candidates one per line, then cobra's `:4` (no file names)."""

from __future__ import annotations

import pytest

from kairflow.cli.completion import candidates


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        pytest.param([""], {"dags", "runs", "tasks", "backfill"}, id="the command groups first"),
        pytest.param(["dags", "li"], {"list"}, id="a command by its first letters"),
        pytest.param(["runs", "list", "--st"], {"--state"}, id="a flag by its first letters"),
        pytest.param(
            ["tasks", "clear", "RUN", "--down"], {"--downstream"}, id="a flag after an argument"
        ),
        pytest.param(["backfill", "create", "d", "--re"], {"--reprocess"}, id="backfill's flags"),
    ],
)
def test_kubectl_completion_offers(typed: list[str], offered: set[str]) -> None:
    assert offered <= set(candidates(typed))


def test_names_from_an_unreachable_cluster_are_simply_not_offered() -> None:
    assert candidates(["dags", "show", "--kubeconfig", "/nonexistent", ""]) == []
