"""A big mapped task's sealed instances in the CLI: a run whose record names sealed
blocks is read with them (one LIST by its label, even when its task instances are
in its status), and `runs wait` shows a block's instances when the block arrives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.sealed_blocks import block_name
from tests.cli import kairflow
from tests.unit.cli.fake_custom_api import NS, install
from tests.unit.sealed_fixtures import block as sealed_block
from tests.unit.sealed_fixtures import instances, record

RUN = "small"


def run(state: str = "running") -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {"name": RUN, "namespace": NS, "labels": {"kairflow.io/dag": "etl"}},
        "spec": {"dagName": "etl", "runType": "manual"},
        "status": {
            "state": state,
            "taskInstances": {"m": record(0), **instances(range(4, 8))},
        },
    }


def block() -> dict[str, Any]:
    return sealed_block(RUN, 0, NS)


def test_runs_listed_as_json_carry_their_sealed_instances(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api, _, kubeconfig = install(
        monkeypatch, tmp_path, [("dagruns", run()), ("taskinstanceslices", block())]
    )
    result = kairflow("runs", "list", "-o", "json", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.stdout)["items"]
    assert list(found["status"]["taskInstances"]) == [f"m[{i}]" for i in range(8)]
    reads = [(verb, detail) for verb, plural, detail in api.calls if plural == "taskinstanceslices"]
    assert reads == [("list", f"kairflow.io/dag-run={RUN}")]


def test_runs_wait_shows_a_blocks_instances_when_the_block_arrives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, watches, kubeconfig = install(monkeypatch, tmp_path, [("dagruns", run())])
    watches.events = {
        "dagruns": [
            {"type": "ADDED", "object": run()},
            {"type": "MODIFIED", "object": run("success")},
        ],
        "taskinstanceslices": [{"type": "ADDED", "object": block()}],
    }
    result = kairflow("runs", "wait", RUN, "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    # Read first without it (said once), then shown as it arrives.
    assert result.stderr.splitlines() == [
        f"warning: dagrun {RUN!r}: the task instances of 1 of its 1 TaskInstanceSlices are "
        f"not shown (not found): {block_name(RUN, 'm', 0)}"
    ]
    shown = [line.split()[1] for line in result.stdout.splitlines() if " m[" in line]
    assert sorted(shown) == sorted(f"m[{i}]" for i in range(8))
