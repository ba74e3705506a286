"""`kairflow ui`: the web UI on this machine, with your kubeconfig's credentials.

It listens on loopback and prints a sign-in URL carrying a one-time secret (as
Jupyter does): other users of the machine and other web pages cannot act with your
credentials through it. `--auth token` is how the chart runs it in the cluster:
every request brings the user's own bearer token; KAIRFLOW_UI_SECRET (from a Secret)
keeps their sessions across restarts and replicas.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from kairflow.cli.errors import UserError
from kairflow.cli.kube import config_namespace
from kairflow.cli.options import Context, Kubeconfig, Namespace
from kairflow.ui.auth import Auth, KubeconfigAuth, TokenAuth
from kairflow.ui.server import start

_IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
# The key of the session cookies and CSRF tokens in token mode. Without it each
# server makes its own at start, so a restart (or another replica) signs users out.
SECRET_ENV = "KAIRFLOW_UI_SECRET"
_MIN_SECRET = 32


def _shared_secret() -> bytes | None:
    value = os.environ.get(SECRET_ENV, "")
    if not value:
        return None
    if len(value) < _MIN_SECRET:
        raise UserError(
            f"{SECRET_ENV} must be at least {_MIN_SECRET} characters (`openssl rand -hex 32`)",
            2,
        )
    return value.encode()


def _in_cluster_api() -> str:
    host, port = (
        os.environ.get("KUBERNETES_SERVICE_HOST"),
        os.environ.get("KUBERNETES_SERVICE_PORT", "443"),
    )
    if not host:
        raise UserError("--auth token needs --api-server (not running in a cluster)")
    return f"https://{host}:{port}"


async def _serve(auth: Auth, namespace: str, address: str, port: int, open_browser: bool) -> None:
    if isinstance(auth, KubeconfigAuth):
        try:
            await auth.start()
        except Exception as exc:
            raise UserError(f"cannot read the kubeconfig: {exc}", 5) from None
    runner, bound = await start(auth, namespace, address, port)
    shown = "127.0.0.1" if address in {"0.0.0.0", "::"} else address
    url = f"http://{shown}:{bound}/"
    if isinstance(auth, KubeconfigAuth):
        url = f"{url}login?token={auth.login_secret}"
    typer.echo(f"Kairflow UI: {url}", err=False)
    if shown != address:  # in a pod, 127.0.0.1 is only where a port-forward lands
        typer.echo(f"(listening on all addresses, port {bound}: any of this host's works)")
    typer.echo("(Ctrl-C stops it)")
    if open_browser:
        webbrowser.open(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def ui(
    port: Annotated[int, typer.Option("--port", "-p", help="Port (0: any free one).")] = 8080,
    address: Annotated[str, typer.Option("--address", help="Address to listen on.")] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open it in your browser.")
    ] = False,
    auth: Annotated[
        str,
        typer.Option(
            "--auth",
            help="kubeconfig: your credentials (default); token: each user's bearer token "
            "(in the cluster).",
        ),
    ] = "kubeconfig",
    api_server: Annotated[
        str | None,
        typer.Option("--api-server", help="--auth token: the API server (default: in-cluster)."),
    ] = None,
    ca_file: Annotated[
        str | None, typer.Option("--ca-file", help="--auth token: the API server's CA bundle.")
    ] = None,
    namespace: Namespace = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Serve the web UI: DAGs, grid, graph, Gantt, calendar, logs, trigger and clear."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    chosen: Auth
    if auth == "kubeconfig":
        chosen = KubeconfigAuth(kubeconfig or os.environ.get("KUBECONFIG"), context)
        default_ns = namespace or config_namespace(kubeconfig, context)
    elif auth == "token":
        ca = ca_file or (_IN_CLUSTER_CA if Path(_IN_CLUSTER_CA).exists() else None)
        secret = _shared_secret()
        chosen = TokenAuth(api_server or _in_cluster_api(), ca)
        if secret is not None:
            chosen.secret = secret
        default_ns = namespace or "default"
    else:
        raise UserError(f"--auth must be kubeconfig or token, not {auth!r}", 2)
    try:
        asyncio.run(_serve(chosen, default_ns, address, port, open_browser))
    except OSError as exc:
        raise UserError(f"cannot listen on {address}:{port}: {exc.strerror or exc}") from None
