"""Running the installed `kairflow` command as a user's shell would, against the test
cluster: a subprocess of the console script, with KUBECONFIG set and nothing else
borrowed from the test process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.integration.kube import Kube

KAIRFLOW = Path(sys.executable).parent / "kairflow"
KUBECTL_PLUGIN = Path(sys.executable).parent / "kubectl-kairflow"
KUBECTL_COMPLETION = Path(sys.executable).parent / "kubectl_complete-kairflow"


@dataclass
class Cli:
    """`kairflow ...` in one namespace of the test cluster."""

    kube: Kube
    namespace: str

    def env(self) -> dict[str, str]:
        env = {**os.environ, "KUBECONFIG": str(self.kube.kubeconfig), "NO_COLOR": "1"}
        env.pop("FORCE_COLOR", None)
        env["COLUMNS"] = env.get("KAIRFLOW_TEST_COLUMNS", "200")
        return env

    def run(
        self,
        *args: str,
        input: str | None = None,
        namespaced: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """`kairflow ARGS... -n NS`; returns whatever it exits with."""
        command = [str(KAIRFLOW), *args]
        if namespaced:
            command += ["-n", self.namespace]
        return subprocess.run(
            command,
            input=input,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        """stdout of a command that must succeed."""
        result = self.run(*args, input=input, timeout=timeout)
        assert result.returncode == 0, (
            f"kairflow {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
        return result.stdout


def error_of(result: subprocess.CompletedProcess[str]) -> str:
    """The one `error: ...` line a failing command prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def final_error(result: subprocess.CompletedProcess[str]) -> str:
    """The `error: ...` line that ends stderr after progress lines (`--wait`)."""
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    return lines[-1]
