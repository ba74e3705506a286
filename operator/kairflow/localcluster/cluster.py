"""Start and stop etcd + kube-apiserver + kube-controller-manager on loopback.

The apiserver runs as a real cluster would: TLS with a CA, static-token
authentication (the admin token is in group system:masters), RBAC authorization,
no insecure port, and a service-account signing key shared with the
controller-manager, whose garbage collector and token controllers run too.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from kairflow.localcluster import images, pki
from kairflow.localcluster.binaries import (
    Binaries,
    NodeBinaries,
    locate_binaries,
    locate_node_binaries,
)
from kairflow.localcluster.kubeconfig import write_kubeconfig
from kairflow.localcluster.node import (
    NODE_NAME,
    Join,
    NodeUnavailable,
    RealNode,
    claim_machine,
    host_address,
    node_root,
    release_machine,
    unavailable_reason,
)
from kairflow.localcluster.node import PROCESSES as NODE_PROCESSES
from kairflow.localcluster.processes import crash_summary, spawn, stop_group

SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
CONTROL_PLANE = ("kube-controller-manager", "kube-apiserver", "etcd")  # stop order


class ClusterStartError(RuntimeError):
    """A cluster process failed to start; the message carries what its log says of why."""


@dataclass
class ClusterInfo:
    """Everything a client needs, and what `stop` needs to find the processes."""

    workdir: str
    server: str
    token: str
    ca_file: str
    kubeconfig: str
    pids: dict[str, int]
    node_root: str = ""  # set when a real node runs (its state, swept on stop)
    kube_proxy: str = ""  # the binary whose --cleanup removes its iptables chains

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> ClusterInfo:
        return cls(**json.loads(path.read_text()))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _default_workdir() -> Path:
    # etcd fsyncs a lot: on tmpfs the control plane starts and runs much faster.
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() else None
    return Path(tempfile.mkdtemp(prefix="kairflow-cluster-", dir=parent))


class LocalCluster:
    """A throwaway control plane. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        workdir: Path | None = None,
        binaries: Binaries | None = None,
        detach: bool = False,
        startup_timeout: float = 90.0,
        real_node: bool = False,
        images: Sequence[Path] = (),
    ) -> None:
        """`real_node`: also run containerd, kubelet, kube-scheduler and kube-proxy, with
        the base and pause images and `images` (OCI archives) imported."""
        self.real_node = real_node
        self.images = tuple(images)
        self.workdir = workdir or _default_workdir()
        self.binaries = binaries
        self.detach = detach
        self.startup_timeout = startup_timeout
        self.info: ClusterInfo | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._argv: dict[str, list[str | Path]] = {}
        self._claimed = False  # this cluster owns the machine's node state
        self._kube_proxy: Path | None = None

    def __enter__(self) -> ClusterInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> ClusterInfo:
        binaries = self.binaries or locate_binaries()
        node_binaries = locate_node_binaries() if self.real_node else None
        self._kube_proxy = node_binaries.kube_proxy if node_binaries else None
        if self.real_node and (reason := unavailable_reason()):
            raise NodeUnavailable(reason)
        # Pods reach the apiserver on the machine's address (through kube-proxy's
        # rules for the kubernetes Service); people and tests keep using loopback.
        address = host_address() if self.real_node else "127.0.0.1"
        if self.real_node:
            # Before anything starts: a machine whose node another stack runs is refused
            # at once, and only a cluster that claimed the machine ever sweeps it.
            claim_machine(self._node_root)
            self._claimed = True
        work = self.workdir
        work.mkdir(parents=True, exist_ok=True)
        pki_dir = work / "pki"
        pki_dir.mkdir(exist_ok=True)
        ca = pki.make_ca(pki_dir)
        serving = pki.make_serving_cert(
            ca,
            pki_dir,
            "apiserver",
            [
                "127.0.0.1",
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "10.96.0.1",
                address,
            ],
            common_name="kube-apiserver",
        )
        sa = pki.make_signing_key(pki_dir)
        token = secrets.token_hex(24)
        (work / "tokens.csv").write_text(
            f'{token},kairflow-admin,kairflow-admin,"system:masters"\n'
        )
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        server = f"https://127.0.0.1:{api_port}"
        kubeconfig = work / "kubeconfig"
        write_kubeconfig(kubeconfig, server, token, ca.cert)
        try:
            self._start_etcd(binaries, etcd_port, peer_port)
            self._start_apiserver(binaries, etcd_port, api_port, ca, serving, sa, address)
            self._wait_ready(server, token, ca.cert)
            self._start_controller_manager(binaries, kubeconfig, ca, sa)
            if node_binaries is not None:
                join = Join(f"https://{address}:{api_port}", ca)
                self._start_node(node_binaries, join, address)
                self._wait_node_ready(server, token, ca.cert)
        except BaseException:
            self.stop()
            raise
        self.info = ClusterInfo(
            workdir=str(work),
            server=server,
            token=token,
            ca_file=str(ca.cert),
            kubeconfig=str(kubeconfig),
            pids={n: p.pid for n, p in self._procs.items()},
            node_root=str(self._node_root) if node_binaries else "",
            kube_proxy=str(node_binaries.kube_proxy) if node_binaries else "",
        )
        return self.info

    @property
    def _node_root(self) -> Path:
        return node_root()

    def _start_node(self, binaries: NodeBinaries, join: Join, address: str) -> None:
        archives = [images.build_image(images.PAUSE), images.build_image(images.BASE)]
        node = RealNode(
            self._node_root,
            join,
            binaries,
            [*archives, *self.images],
            images.PAUSE.reference,
            address,
            free_port,
        )

        def spawn_node_process(name: str, argv: list[str | Path]) -> int:
            self._spawn(name, argv)
            return self._procs[name].pid

        node.start(spawn_node_process, self._check_alive)

    def _spawn(self, name: str, argv: list[str | Path]) -> None:
        self._argv[name] = argv
        self._procs[name] = spawn(argv, self.workdir / f"{name}.log", detach=self.detach)

    def restart(self, name: str) -> None:
        """Stop one process (SIGTERM) and start it again as it was: a kubelet or
        apiserver restart, as an administrator would do it."""
        proc = self._procs[name]
        stop_group(proc.pid)
        proc.wait()
        self._spawn(name, self._argv[name])
        if self.info is not None:
            self.info.pids[name] = self._procs[name].pid

    def _start_etcd(self, binaries: Binaries, port: int, peer: int) -> None:
        peer_url = f"http://127.0.0.1:{peer}"
        self._spawn(
            "etcd",
            [
                binaries.etcd,
                "--name=kairflow",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{port}",
                f"--advertise-client-urls=http://127.0.0.1:{port}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=kairflow={peer_url}",
                "--log-level=warn",
                "--logger=zap",
            ],
        )

    def _start_apiserver(
        self,
        binaries: Binaries,
        etcd_port: int,
        port: int,
        ca: pki.KeyPair,
        serving: pki.KeyPair,
        sa: pki.KeyPair,
        address: str,
    ) -> None:
        node_flags = []
        if self.real_node:
            kubelet_client = pki.make_client_cert(
                ca,
                self.workdir / "pki",
                "apiserver-kubelet-client",
                "kube-apiserver-kubelet-client",
                ("system:masters",),
            )
            node_flags = [
                "--bind-address=0.0.0.0",
                f"--kubelet-client-certificate={kubelet_client.cert}",
                f"--kubelet-client-key={kubelet_client.key}",
                f"--kubelet-certificate-authority={ca.cert}",
            ]
        else:
            node_flags = ["--bind-address=127.0.0.1"]
        self._spawn(
            "kube-apiserver",
            [
                binaries.kube_apiserver,
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                *node_flags,
                f"--advertise-address={address}",
                f"--secure-port={port}",
                "--insecure-port=0",
                f"--tls-cert-file={serving.cert}",
                f"--tls-private-key-file={serving.key}",
                f"--client-ca-file={ca.cert}",
                f"--token-auth-file={self.workdir / 'tokens.csv'}",
                # Node: a kubelet reads and writes only its own node and pods.
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={sa.cert}",
                f"--service-account-signing-key-file={sa.key}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--allow-privileged=true",
                "--kubelet-preferred-address-types=InternalIP",
                f"--cert-dir={self.workdir / 'certs'}",
                "--profiling=false",
                "--v=1",
            ],
        )

    def _start_controller_manager(
        self, binaries: Binaries, kubeconfig: Path, ca: pki.KeyPair, sa: pki.KeyPair
    ) -> None:
        self._spawn(
            "kube-controller-manager",
            [
                binaries.kube_controller_manager,
                f"--kubeconfig={kubeconfig}",
                f"--service-account-private-key-file={sa.key}",
                f"--root-ca-file={ca.cert}",
                "--leader-elect=false",
                "--port=0",
                "--secure-port=0",
                "--controllers=*",
                "--v=1",
            ],
        )

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                log = self.workdir / f"{name}.log"
                raise ClusterStartError(
                    f"{name} exited with code {proc.returncode}; from {log}:\n{crash_summary(log)}"
                )

    def _wait_ready(self, server: str, token: str, ca_file: Path) -> None:
        self._wait_api(server, "/readyz", token, ca_file, "kube-apiserver", lambda _: True)

    def _wait_node_ready(self, server: str, token: str, ca_file: Path) -> None:
        def ready(body: bytes) -> bool:
            conditions = json.loads(body).get("status", {}).get("conditions") or []
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

        path = f"/api/v1/nodes/{NODE_NAME}"
        self._wait_api(server, path, token, ca_file, "kubelet", ready)

    def _wait_api(
        self,
        server: str,
        path: str,
        token: str,
        ca_file: Path,
        component: str,
        ready: Callable[[bytes], bool],
    ) -> None:
        """Poll `path` until it answers 200 with a body `ready` accepts."""
        context = ssl.create_default_context(cafile=str(ca_file))
        request = urllib.request.Request(
            f"{server}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        deadline = time.monotonic() + self.startup_timeout
        last_error = ""
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(request, context=context, timeout=5) as response:
                    if response.status == 200 and ready(response.read()):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.2)
        raise ClusterStartError(
            f"{component} not ready after {self.startup_timeout:.0f}s ({last_error}); "
            f"see {self.workdir / (component + '.log')}"
        )

    def stop(self, keep_workdir: bool = False) -> None:
        """Stop the node (if any), then controller-manager, apiserver, etcd; remove files."""
        if self._claimed:
            self._claimed = False
            node_pids = {n: p.pid for n, p in self._procs.items() if n in NODE_PROCESSES}
            # Its --cleanup also after a start that failed half-way (no info yet).
            release_machine(self._node_root, node_pids, self._kube_proxy)
            for name in node_pids:
                self._procs.pop(name).wait()
        for name in CONTROL_PLANE:
            proc = self._procs.pop(name, None)
            if proc is not None:
                stop_group(proc.pid)
                proc.wait()
        if not keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def stop_detached(info: ClusterInfo) -> None:
    """Stop a stack started with `detach=True` by another process (`kairflow dev down`)."""
    if info.node_root:
        node_pids = {n: pid for n, pid in info.pids.items() if n in NODE_PROCESSES}
        proxy = Path(info.kube_proxy) if info.kube_proxy else None
        release_machine(Path(info.node_root), node_pids, proxy)
    for name in CONTROL_PLANE:
        pid = info.pids.get(name)
        if pid:
            stop_group(pid)
    shutil.rmtree(info.workdir, ignore_errors=True)
