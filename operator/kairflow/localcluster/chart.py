"""Installing the chart into the local cluster with `helm`, as a user would on any
cluster: the operator image built from this checkout, never pulled, and tasks in
the local base image (nothing can be pulled here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kairflow.localcluster.images import BASE

RELEASE = "kairflow"
NAMESPACE = "kairflow-system"
# What a local install sets beyond the image: tasks run in the local base image.
LOCAL_VALUES = {"settings.defaultImage": BASE.reference}


class HelmFailed(RuntimeError):
    """helm is missing or a helm command failed; the message has its output."""


def helm_binary() -> str:
    """helm from the virtualenv (`make install` puts it there) or from PATH."""
    beside = Path(sys.executable).with_name("helm")
    found = str(beside) if beside.exists() else shutil.which("helm")
    if found is None:
        raise HelmFailed("helm not found: `make install` puts it in .venv/bin, or install helm 3")
    return found


def helm(kubeconfig: str | Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    result = subprocess.run(
        [helm_binary(), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    if result.returncode != 0:
        raise HelmFailed(f"helm {args[0]} failed: {result.stderr.strip()}")
    return result


def install_values(image: str, **values: str) -> dict[str, str]:
    """--set values for the operator `image` (a local reference: never pulled)."""
    repository, tag = image.rsplit(":", 1)
    return {
        "image.repository": repository,
        "image.tag": tag,
        "image.pullPolicy": "Never",
        **LOCAL_VALUES,
        **values,
    }


def install_chart(
    kubeconfig: str | Path, chart: Path, image: str, verb: str = "install", **values: str
) -> None:
    """`helm install` (or `upgrade`) the chart and wait for its Deployment."""
    sets = [f"--set={key}={value}" for key, value in install_values(image, **values).items()]
    helm(
        kubeconfig,
        verb,
        RELEASE,
        str(chart),
        "--namespace",
        NAMESPACE,
        "--create-namespace",
        "--wait",
        "--timeout=180s",
        *sets,
    )
