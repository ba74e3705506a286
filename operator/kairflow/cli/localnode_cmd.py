"""`kairflow localnode`: run the development node agent (pods as local processes)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from kairflow.cli.errors import EXIT_FAILED, UserError
from kairflow.localnode.settings import DEFAULT_NODE_NAME, NodeSettings


def localnode(
    node_name: Annotated[
        str, typer.Option("--node-name", help="The Node's name (and its Lease's).")
    ] = DEFAULT_NODE_NAME,
    capacity: Annotated[
        int, typer.Option(min=1, help="Pods running at once; others wait Pending.")
    ] = 16,
    claim_default_scheduler: Annotated[
        bool,
        typer.Option(
            "--claim-default-scheduler",
            help="Also bind pods of schedulerName default-scheduler "
            "(only for a cluster without kube-scheduler).",
        ),
    ] = False,
    namespace: Annotated[
        list[str] | None,
        typer.Option(
            "--namespace",
            "-n",
            help="Bind pending pods of this namespace only (repeatable; default: all).",
        ),
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Pod directories and logs (default: ~/.cache/kairflow/localnode/NODE)."),
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Log server port on 127.0.0.1 (0: any free).")
    ] = 0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the development node agent: a kubelet that runs pods as local processes.

    It registers a Node and runs each container's command and args as a local
    process (the image is ignored) in a private directory per pod, with its env,
    activeDeadlineSeconds and deletion grace, writes real pod status, and serves
    `kubectl logs`. KUBECONFIG (else ~/.kube/config) says which cluster.

    Scheduling convention (there is no kube-scheduler): it binds only pods without
    a nodeName whose spec.schedulerName is "kairflow-localnode", plus those of
    "default-scheduler" with --claim-default-scheduler, and runs every pod bound
    to its node. At most --capacity run at once; the others stay Pending and are
    bound oldest first when a slot frees.

    Stop with Ctrl-C or SIGTERM: running pods get SIGTERM (then SIGKILL) and end
    Failed (NodeShutdown); the Node is marked NotReady.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("aiohttp").setLevel(logging.WARNING)
    settings = NodeSettings(
        node_name=node_name,
        capacity=capacity,
        claim_default_scheduler=claim_default_scheduler,
        namespaces=tuple(namespace or ()),
        workdir=workdir,
        port=port,
    )
    from kairflow.localnode.kapi import KubeconfigError, KubeError  # noqa: PLC0415

    try:
        asyncio.run(_serve(settings))
    except KeyboardInterrupt:
        pass
    except KubeconfigError as exc:
        raise UserError(str(exc), EXIT_FAILED) from None
    except KubeError as exc:
        raise UserError(f"the API server refused: {exc.message}", EXIT_FAILED) from None
    except OSError as exc:  # aiohttp's connection errors are OSErrors too
        raise UserError(f"node agent stopped: {exc}", EXIT_FAILED) from None


async def _serve(settings: NodeSettings) -> None:
    # Imported here so that other commands start without loading aiohttp.
    from kairflow.localnode.agent import NodeAgent  # noqa: PLC0415

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await NodeAgent(settings).run(stop)
