"""`kairflow dev demo` and `kairflow dev down`: the README's first command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kairflow import devstack
from kairflow.localcluster.processes import pid_alive
from tests.e2e.stack import ROOT

# Where the machine can run one, the demo starts the real node (tests/workers.py).
pytestmark = [pytest.mark.e2e, pytest.mark.real_node]


def test_demo_runs_sample_dag_and_down_stops_everything(tmp_path: Path) -> None:
    env = {**os.environ, "KAIRFLOW_DEV_HOME": str(tmp_path / "dev")}
    cli = [sys.executable, "-m", "kairflow.cli.main", "dev"]
    demo = subprocess.run(
        [*cli, "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    try:
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "dagrun.kairflow.io/sample-dag-manual-" in demo.stdout
        assert "Running Airflow~" in demo.stdout  # kubectl logs, through the node
        assert "export KUBECONFIG=" in demo.stdout
        stack = json.loads((tmp_path / "dev" / "stack.json").read_text())
        pids = [stack["operator_pid"], stack["agent_pid"], *stack["cluster"]["pids"].values()]
        pids = [pid for pid in pids if pid]
        assert all(pid_alive(pid) for pid in pids)
        # Where the machine can run a real node, the demo runs on one, and says so.
        expected = "real" if devstack.choose_node(None)[0] == "real" else "agent"
        assert stack["node"] == expected
        if expected == "real":
            assert "node: a real kubelet + containerd" in demo.stdout
            assert "Each task ran in its own container" in demo.stdout
            assert set(stack["cluster"]["pids"]) >= {"kubelet", "containerd"}
        else:
            assert "node: the development node agent" in demo.stdout
    finally:
        down = subprocess.run(
            [*cli, "down"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not any(pid_alive(pid) for pid in pids)
