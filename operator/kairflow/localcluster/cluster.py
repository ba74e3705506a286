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
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

import yaml

from kairflow.localcluster import pki
from kairflow.localcluster.binaries import Binaries, locate_binaries
from kairflow.localcluster.processes import spawn, stop_group, tail

SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


class ClusterStartError(RuntimeError):
    """A control-plane process failed to start; the message carries its log tail."""


@dataclass
class ClusterInfo:
    """Everything a client needs, and what `stop` needs to find the processes."""

    workdir: str
    server: str
    token: str
    ca_file: str
    kubeconfig: str
    pids: dict[str, int]

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


def write_kubeconfig(
    path: Path, server: str, token: str, ca_file: Path, namespace: str = "default"
) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kairflow-local",
                "cluster": {"server": server, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [{"name": "kairflow-admin", "user": {"token": token}}],
        "contexts": [
            {
                "name": "kairflow-local",
                "context": {
                    "cluster": "kairflow-local",
                    "user": "kairflow-admin",
                    "namespace": namespace,
                },
            }
        ],
        "current-context": "kairflow-local",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


class LocalCluster:
    """A throwaway control plane. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        workdir: Path | None = None,
        binaries: Binaries | None = None,
        detach: bool = False,
        startup_timeout: float = 90.0,
    ) -> None:
        self.workdir = workdir or _default_workdir()
        self.binaries = binaries
        self.detach = detach
        self.startup_timeout = startup_timeout
        self.info: ClusterInfo | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

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
            self._start_apiserver(binaries, etcd_port, api_port, ca, serving, sa)
            self._wait_ready(server, token, ca.cert)
            self._start_controller_manager(binaries, kubeconfig, ca, sa)
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
        )
        return self.info

    def _spawn(self, name: str, argv: list[str | Path]) -> None:
        self._procs[name] = spawn(argv, self.workdir / f"{name}.log", detach=self.detach)

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
    ) -> None:
        self._spawn(
            "kube-apiserver",
            [
                binaries.kube_apiserver,
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                "--insecure-port=0",
                f"--tls-cert-file={serving.cert}",
                f"--tls-private-key-file={serving.key}",
                f"--client-ca-file={ca.cert}",
                f"--token-auth-file={self.workdir / 'tokens.csv'}",
                "--authorization-mode=RBAC",
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
                    f"{name} exited with code {proc.returncode}; last lines of {log}:\n{tail(log)}"
                )

    def _wait_ready(self, server: str, token: str, ca_file: Path) -> None:
        context = ssl.create_default_context(cafile=str(ca_file))
        request = urllib.request.Request(
            f"{server}/readyz", headers={"Authorization": f"Bearer {token}"}
        )
        deadline = time.monotonic() + self.startup_timeout
        last_error = ""
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(request, context=context, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.2)
        raise ClusterStartError(
            f"kube-apiserver not ready after {self.startup_timeout:.0f}s ({last_error}); "
            f"see {self.workdir / 'kube-apiserver.log'}"
        )

    def stop(self, keep_workdir: bool = False) -> None:
        """Stop every process (controller-manager, apiserver, then etcd), remove files."""
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            proc = self._procs.pop(name, None)
            if proc is not None:
                stop_group(proc.pid)
                proc.wait()
        if not keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def stop_detached(info: ClusterInfo) -> None:
    """Stop a stack started with `detach=True` by another process (`kairflow dev down`)."""
    for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
        pid = info.pids.get(name)
        if pid:
            stop_group(pid)
    shutil.rmtree(info.workdir, ignore_errors=True)
