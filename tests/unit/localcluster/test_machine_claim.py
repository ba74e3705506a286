"""One real node per machine: who may claim it, and what happens to a dead owner's."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from kairflow.localcluster import node
from kairflow.localcluster.node import NodeUnavailable, claim_machine, release_machine


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "run" / "real-node.json"
    monkeypatch.setenv("KAIRFLOW_NODE_RECORD", str(path))
    return path


@pytest.fixture
def swept(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    monkeypatch.setattr(node, "sweep", calls.append)
    return calls


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_machine_without_a_node_is_claimed_by_the_starting_process(
    record: Path, swept: list[Path]
) -> None:
    claim_machine(Path("/state/a/node"))
    assert json.loads(record.read_text()) == {
        "root": "/state/a/node",
        "owner": os.getpid(),
        "pids": {},
    }
    assert swept == []


def test_a_dead_owners_node_is_swept_before_the_machine_is_claimed_again(
    record: Path, swept: list[Path]
) -> None:
    record.parent.mkdir(parents=True)
    stale = {"root": "/state/old/node", "owner": dead_pid(), "pids": {"kubelet": dead_pid()}}
    record.write_text(json.dumps(stale))
    claim_machine(Path("/state/new/node"))
    assert swept == [Path("/state/old/node")]
    assert json.loads(record.read_text())["root"] == "/state/new/node"


@pytest.mark.parametrize(
    "holder",
    [
        pytest.param({"owner": os.getppid(), "pids": {}}, id="a node still being started"),
        pytest.param(
            {"owner": 0, "pids": {"kubelet": os.getppid()}},
            id="a detached node whose starter has exited",
        ),
    ],
)
def test_a_live_node_keeps_the_machine_and_nothing_of_it_is_swept(
    record: Path, swept: list[Path], holder: dict[str, object]
) -> None:
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"root": "/state/live/node", **holder}))
    with pytest.raises(NodeUnavailable, match=r"already runs on this machine .*/state/live/node"):
        claim_machine(Path("/state/new/node"))
    assert swept == []
    assert json.loads(record.read_text())["root"] == "/state/live/node"


def test_releasing_a_node_sweeps_it_and_frees_the_machine(record: Path, swept: list[Path]) -> None:
    claim_machine(Path("/state/a/node"))
    release_machine(Path("/state/a/node"), {}, None)
    assert swept == [Path("/state/a/node")]
    assert not record.exists()
