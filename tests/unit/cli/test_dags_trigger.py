"""`kairflow dags trigger --conf` refuses, before it creates anything, the conf the
operator would refuse: one line naming the param, exit 2."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairflow.cli import dags_trigger
from kairflow.cli.errors import EXIT_USAGE
from tests.cli import error_line, kairflow

PARAMS = {
    "greeting": "hello",
    "rows": {"default": 3, "type": "integer", "minimum": 1, "maximum": 100},
    "env": {"default": "dev", "enum": ["dev", "prod"]},
}


class FakeCluster:
    """The DAG to trigger, and the runs created (none when the conf is refused)."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    def get(self, plural: str, name: str) -> dict[str, Any]:
        assert (plural, name) == ("dags", "etl")
        return {"metadata": {"name": name}, "spec": {"params": PARAMS, "tasks": [{"name": "t"}]}}

    def create(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        self.created.append(body)
        return body


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    fake = FakeCluster()
    monkeypatch.setattr(dags_trigger, "connect", lambda *_: fake)
    return fake


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        pytest.param(
            {"rows": 500},
            "error: conf 'rows' must be <= 100, not 500 (param rows: maximum 100)",
            id="a conf above the maximum is refused naming the param",
        ),
        pytest.param(
            {"env": "qa", "greeting": 1},
            "error: conf 'greeting' must be a string like the param's default, not a number; "
            "conf 'env' must be one of 'dev', 'prod', not 'qa' (param env: enum)",
            id="every refused param is on the one line",
        ),
    ],
)
def test_a_conf_the_params_refuse_creates_no_run(
    cluster: FakeCluster, conf: dict[str, Any], message: str
) -> None:
    result = kairflow("dags", "trigger", "etl", "--conf", json.dumps(conf))
    assert result.exit_code == EXIT_USAGE
    assert error_line(result) == message
    assert cluster.created == []


def test_a_conf_the_params_accept_is_the_runs_conf(cluster: FakeCluster) -> None:
    result = kairflow("dags", "trigger", "etl", "--conf", '{"rows": 50, "extra": true}')
    assert result.exit_code == 0, result.output
    (run,) = cluster.created
    assert run["spec"]["conf"] == {"rows": 50, "extra": True}
