"""The local development stack behind `kairflow dev up/down` and `make demo`:
the local control plane, the CRDs, the operator and a node, running in the
background so `kubectl` keeps working after the command returns.

Two kinds of node:
- `real` (the default where the machine allows it: root, containerd, CNI): a real
  kubelet + containerd run each task in its image, and the operator is the pod the
  chart's Deployment runs, installed with `helm install` from this checkout;
- `agent` (the fallback, or chosen): the development node agent runs each task as a
  local process (images ignored), and the operator is a local process.

State (kubeconfig, pids, logs) lives in $KAIRFLOW_DEV_HOME (default
~/.local/state/kairflow/dev); `kairflow dev down` stops everything it started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from kubernetes import client, config

from kairflow.api.crd import crd_files
from kairflow.localcluster import ClusterInfo, LocalCluster
from kairflow.localcluster.chart import NAMESPACE, RELEASE, HelmFailed, install_chart
from kairflow.localcluster.cluster import free_port, stop_detached
from kairflow.localcluster.node import unavailable_reason
from kairflow.localcluster.operator_image import build_operator_image, checkout_root
from kairflow.localcluster.processes import pid_alive, stop_group

NODE_NAME = "kairflow-local"


def home() -> Path:
    state = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return Path(os.environ.get("KAIRFLOW_DEV_HOME", state / "kairflow" / "dev"))


@dataclass
class Stack:
    cluster: ClusterInfo
    operator_pid: int  # 0 on the real node: the operator is the chart's pod
    agent_pid: int  # 0 on the real node
    liveness_port: int
    node: str = "agent"  # "real" | "agent"

    @property
    def kubeconfig(self) -> str:
        return self.cluster.kubeconfig

    def save(self) -> None:
        (home() / "stack.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls) -> Stack | None:
        path = home() / "stack.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        data["cluster"] = ClusterInfo(**data["cluster"])
        return cls(**data)


class StackError(RuntimeError):
    """The stack could not start; the message says which part and where its log is."""


def running() -> Stack | None:
    """The stack that is up, or None (a half-dead one is stopped and cleaned)."""
    stack = Stack.load()
    if stack is None:
        return None
    pids = [stack.operator_pid, stack.agent_pid, *stack.cluster.pids.values()]
    if all(pid_alive(pid) for pid in pids if pid):
        return stack
    down(stack)
    return None


def _background(argv: list[str], log: Path, kubeconfig: str) -> int:
    env = {**os.environ, "KUBECONFIG": kubeconfig}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    return proc.pid


def _install_crds(api: client.ApiClient) -> None:
    ext = client.ApiextensionsV1Api(api)
    for text in crd_files().values():
        body = yaml.safe_load(text)
        try:
            ext.create_custom_resource_definition(body)
        except client.ApiException as exc:
            if exc.status != 409:
                raise


def _wait(what: str, check: object, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    hint = f"; see {log}" if log else ""
    raise StackError(f"{what} did not become ready within {timeout:.0f}s{hint}")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def _node_ready(api: client.ApiClient) -> bool:
    try:
        node = client.CoreV1Api(api).read_node(NODE_NAME)
    except client.ApiException:
        return False
    conditions = (node.status.conditions if node.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def choose_node(asked: str | None) -> tuple[str, str]:
    """The node to run ("real" or "agent") and a line saying why."""
    reason = unavailable_reason() or (
        None if checkout_root() else "kairflow is not run from a checkout (no chart to install)"
    )
    if asked == "agent":
        return "agent", "node: the development node agent (asked for with --node agent)"
    if reason is None:
        return "real", "node: a real kubelet + containerd; the operator is installed with helm"
    if asked == "real":
        raise StackError(f"--node real is not possible here: {reason}")
    return "agent", f"node: the development node agent, since a real node cannot run: {reason}"


def up(progress: object = print, node: str | None = None) -> Stack:
    """Start the stack (or return the one already up)."""
    say = progress if callable(progress) else print
    existing = running()
    if existing is not None:
        say(f"the local stack is already up (node: {existing.node})")
        return existing
    directory = home()
    directory.mkdir(parents=True, exist_ok=True)
    kind, why = choose_node(node)
    say(why)
    if kind == "real":
        return _up_real(directory, say)
    say("starting etcd, kube-apiserver and kube-controller-manager ...")
    cluster = LocalCluster(workdir=directory / "cluster", detach=True).start()
    api = config.new_client_from_config(config_file=cluster.kubeconfig)  # type: ignore[no-untyped-call]
    _install_crds(api)
    liveness = free_port()
    python = sys.executable
    say("starting the operator and the node agent ...")
    operator = _background(
        [
            python,
            "-m",
            "kairflow.operator",
            "--liveness-port",
            str(liveness),
            "--metrics-port",
            str(free_port()),
        ],
        directory / "operator.log",
        cluster.kubeconfig,
    )
    agent = _background(
        [
            python,
            "-m",
            "kairflow.cli.main",
            "localnode",
            "--node-name",
            NODE_NAME,
            "--claim-default-scheduler",
            "--workdir",
            str(directory / "node"),
        ],
        directory / "localnode.log",
        cluster.kubeconfig,
    )
    stack = Stack(cluster=cluster, operator_pid=operator, agent_pid=agent, liveness_port=liveness)
    stack.save()
    try:
        _wait("the operator", lambda: _healthy(liveness), 60, directory / "operator.log")
        _wait("the node agent", lambda: _node_ready(api), 60, directory / "localnode.log")
    except StackError:
        down(stack)
        raise
    return stack


def _up_real(directory: Path, say: Callable[[str], object]) -> Stack:
    root = checkout_root()
    assert root is not None
    say("building the operator image from this checkout (cached when unchanged) ...")
    archive, image = build_operator_image(root)
    say("starting etcd, kube-apiserver, kube-controller-manager and the node ...")
    cluster = LocalCluster(
        workdir=directory / "cluster", detach=True, real_node=True, images=[archive]
    ).start()
    stack = Stack(cluster=cluster, operator_pid=0, agent_pid=0, liveness_port=0, node="real")
    stack.save()
    try:
        say(f"helm install {RELEASE} charts/kairflow --namespace {NAMESPACE} ...")
        install_chart(cluster.kubeconfig, root / "charts" / "kairflow", image)
    except (HelmFailed, OSError) as exc:
        down(stack)
        raise StackError(str(exc)) from None
    return stack


def down(stack: Stack | None = None) -> bool:
    """Stop everything `up` started; False when nothing was up."""
    stack = stack or Stack.load()
    if stack is None:
        return False
    for pid in (stack.agent_pid, stack.operator_pid):
        if pid and pid_alive(pid):
            stop_group(pid, grace=15)
    stop_detached(stack.cluster)
    (home() / "stack.json").unlink(missing_ok=True)
    return True
