"""`kairflow dev up | down | demo`: the local stack and the one-command demo."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kairflow import devstack
from kairflow.api import DagRun
from kairflow.cli.errors import UserError
from kairflow.cli.kube import Cluster, Target
from kairflow.cli.run_follow import follow, run_state
from kairflow.cli.views.tree import run_tree
from kairflow.localcluster import images, operator_image
from kairflow.localcluster.chart import NAMESPACE, RELEASE
from kairflow.requests.trigger import manual_run

dev_app = typer.Typer(
    name="dev",
    help="The local development stack (no cluster needed).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(highlight=False)


def _kubectl(stack: devstack.Stack, *args: str) -> str:
    env = {**os.environ, "KUBECONFIG": stack.kubeconfig}
    result = subprocess.run(
        ["kubectl", *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    return result.stdout if result.returncode == 0 else result.stderr


class Node(StrEnum):
    real = "real"
    agent = "agent"


NodeOption = Annotated[
    Node | None,
    typer.Option(
        help="real: kubelet + containerd, the operator installed with helm (the default "
        "where the machine allows it); agent: tasks as local processes (the fallback)."
    ),
]


def _up(node: Node | None) -> devstack.Stack:
    try:
        return devstack.up(
            progress=lambda text: console.print(f"[dim]{text}[/]"),
            node=node.value if node else None,
        )
    except (devstack.StackError, RuntimeError) as exc:
        raise UserError(str(exc), exit_code=1) from None


@dev_app.command("up")
def up(node: NodeOption = None) -> None:
    """Start the control plane, a node and the operator in the background."""
    stack = _up(node)
    console.print(f"up. Use it with:\n  export KUBECONFIG={stack.kubeconfig}")


@dev_app.command("down")
def down() -> None:
    """Stop everything `kairflow dev up` started."""
    console.print("stopped" if devstack.down() else "nothing was running")


@dev_app.command("demo")
def demo(
    dags: Annotated[Path, typer.Option(help="Directory of DAG manifests to apply.")] = Path("dags"),
    dag: Annotated[str, typer.Option(help="The DAG to trigger.")] = "sample-dag",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the run.")] = 120,
    node: NodeOption = None,
) -> None:
    """Start the stack, apply the example DAGs, trigger one and watch it run."""
    if not dags.is_dir():
        raise UserError(f"{dags} is not a directory of DAG manifests")
    began = time.monotonic()
    stack = _up(node)
    console.print(_kubectl(stack, "apply", "-f", str(dags)).rstrip())
    # What `kairflow dags trigger --wait` does, with the same pieces.
    cluster = Cluster(Target(kubeconfig=stack.kubeconfig, namespace="default"))
    created = cluster.create("dagruns", manual_run(dag, datetime.now(UTC), {}, None))
    name = created["metadata"]["name"]
    console.print(f"$ kairflow dags trigger {dag} --wait\ndagrun.kairflow.io/{name} created")
    run = follow(cluster, name, timeout)
    console.rule("kubectl get dags,dagruns")
    print(_kubectl(stack, "get", "dags,dagruns").rstrip())  # as kubectl prints it, unwrapped
    console.rule(f"kairflow runs get {name}")
    console.print(run_tree(DagRun.model_validate(run)))
    tis = (run.get("status") or {}).get("taskInstances") or {}
    pod = (tis.get("second") or {}).get("pod")
    if pod:
        console.rule(f"kubectl logs {pod}")
        print(_kubectl(stack, "logs", pod).rstrip())
    state = run_state(run)
    console.print(f"\nrun {state} in {time.monotonic() - began:.1f}s (stack start included).")
    if stack.node == "real":
        console.print(
            "Each task ran in its own container (containerd, via a real kubelet); the operator "
            f"is the pod of helm release {RELEASE} in namespace {NAMESPACE}."
        )
    else:
        console.print("Each task ran as a local process of the development node agent.")
    print(
        f"Keep going:  export KUBECONFIG={stack.kubeconfig}\n"
        "             kairflow dags list            (or kubectl kairflow dags list)\n"
        f"             kairflow runs grid {dag}\n"
        f"             kairflow tasks logs {name} second\n"
        "             kubectl get dagruns\n"
        "             kairflow ui                   (the web UI: open the URL it prints)\n"
        "Stop everything:  kairflow dev down"
    )
    if state != "success":
        raise typer.Exit(1)


@dev_app.command("images")
def build_images() -> None:
    """Build the real node's images (pause, base and, from a checkout, the operator) as
    cached OCI archives, without Docker."""
    for recipe in (images.PAUSE, images.BASE):
        began = time.monotonic()
        try:
            archive = images.build_image(recipe)
        except (images.ImageBuildFailed, OSError) as exc:
            raise UserError(f"building {recipe.reference} failed: {exc}", exit_code=1) from None
        console.print(f"{recipe.reference}: {archive} ({time.monotonic() - began:.1f}s)")
    root = operator_image.checkout_root()
    if root is None:
        console.print("operator image: skipped (kairflow is not installed from a checkout)")
        return
    began = time.monotonic()
    try:
        archive, image = operator_image.build_operator_image(root)
    except (images.ImageBuildFailed, OSError) as exc:
        raise UserError(
            f"building the operator image from {root} failed: {exc}", exit_code=1
        ) from None
    console.print(f"{image}: {archive} ({time.monotonic() - began:.1f}s, from {root})")
