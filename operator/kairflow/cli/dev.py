"""`kairflow dev up | down | demo`: the local stack and the one-command demo."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from kubernetes import client, config
from rich.console import Console
from rich.live import Live
from rich.table import Table

from kairflow import devstack
from kairflow.api.common import GROUP, VERSION
from kairflow.cli.errors import UserError
from kairflow.core.naming import dagrun_name
from kairflow.localcluster import images, operator_image
from kairflow.localcluster.chart import NAMESPACE, RELEASE

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


def _in_dag_order(status: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Task instances in the DAG's declaration order (the API returns maps sorted)."""
    tasks = [t["name"] for t in (status.get("dagSpec") or {}).get("tasks", [])]
    position = {name: i for i, name in enumerate(tasks)}
    items = list((status.get("taskInstances") or {}).items())
    return sorted(
        items,
        key=lambda kv: (position.get(kv[0].split("[")[0], len(tasks)), kv[1].get("mapIndex") or 0),
    )


def _task_table(status: dict[str, Any]) -> Table:
    table = Table(title=f"{status.get('state') or 'queued'}  {status.get('progress') or ''}")
    for column in ("task", "state", "try", "start", "duration"):
        table.add_column(column)
    for key, ti in _in_dag_order(status):
        table.add_row(
            key,
            ti.get("state", "none"),
            str(ti.get("tryNumber", 0)),
            (ti.get("startDate") or "")[11:19],
            ti.get("duration") or "",
        )
    return table


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
    api = config.new_client_from_config(config_file=stack.kubeconfig)  # type: ignore[no-untyped-call]
    custom = client.CustomObjectsApi(api)
    console.print(_kubectl(stack, "apply", "-f", str(dags)).rstrip())
    when = datetime.now(UTC).replace(microsecond=0)
    name = dagrun_name(dag, "manual", when)
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "DagRun",
        "metadata": {"name": name},
        "spec": {"dagName": dag, "logicalDate": when.isoformat()},
    }
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", "dagruns", body)
    console.print(f"triggered [bold]{name}[/]")
    status: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    with Live(_task_table(status), console=console, refresh_per_second=8) as live:
        while time.monotonic() < deadline:
            run = cast(
                dict[str, Any],
                custom.get_namespaced_custom_object(GROUP, VERSION, "default", "dagruns", name),
            )
            status = run.get("status") or {}
            live.update(_task_table(status))
            if status.get("state") in ("success", "failed"):
                break
            time.sleep(0.2)
    console.rule("kubectl get dags,dagruns")
    print(_kubectl(stack, "get", "dags,dagruns").rstrip())  # as kubectl prints it, unwrapped
    console.rule(f"task instances of {name}")
    console.print(_task_table(status))
    pod = (status.get("taskInstances") or {}).get("second", {}).get("pod")
    if pod:
        console.rule(f"kubectl logs {pod}")
        print(_kubectl(stack, "logs", pod).rstrip())
    console.print(
        f"\nrun {status.get('state')} in {time.monotonic() - began:.1f}s (stack start included)."
    )
    if stack.node == "real":
        console.print(
            "Each task ran in its own container (containerd, via a real kubelet); the operator "
            f"is the pod of helm release {RELEASE} in namespace {NAMESPACE}."
        )
    else:
        console.print("Each task ran as a local process of the development node agent.")
    print(
        f"Keep using kubectl:  export KUBECONFIG={stack.kubeconfig}\n"
        "Stop everything:     kairflow dev down"
    )
    if status.get("state") != "success":
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
