"""After the quick start, `kairflow` and `kubectl kairflow` answer from the user's shell:
`make commands` (which `make demo` runs first) links them into a directory on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kairflow import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_make_commands_puts_kairflow_and_the_kubectl_plugin_on_path(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    made = subprocess.run(
        ["make", "-s", "commands", f"BINDIR={bindir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"linked in {bindir}" in made.stdout
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    # A shell whose PATH has the linked directory and kubectl, not the venv.
    env = {"PATH": f"{bindir}:{Path(kubectl).parent}", "HOME": str(tmp_path)}
    for command in (["kairflow", "version"], ["kubectl", "kairflow", "version"]):
        ran = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert ran.returncode == 0, (command, ran.stderr)
        assert ran.stdout.strip() == f"kairflow {__version__}"
    completed = subprocess.run(
        ["kubectl", "__complete", "kairflow", "dags", "li"],
        capture_output=True,
        text=True,
        env={**env, "KUBECONFIG": os.devnull},
        timeout=60,
        check=False,
    )
    assert completed.stdout.splitlines()[:2] == ["list", ":4"], completed.stdout
