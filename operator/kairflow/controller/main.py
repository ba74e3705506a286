"""Running the operator: `kairflow operator` and `python -m kairflow.operator`."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from concurrent.futures import Future
from types import FrameType
from typing import Any

import kopf

from kairflow.controller.handlers import build_registry
from kairflow.controller.settings import OperatorSettings

Flag = asyncio.Event | threading.Event | Future[Any]
log = logging.getLogger(__name__)
RESTART_DELAY = 1.0


def _is_set(flag: Flag | None) -> bool:
    if flag is None:
        return True  # nobody can ask us to stop: whatever stopped kopf was meant to
    if isinstance(flag, Future):
        return flag.done()
    return flag.is_set()


async def operate(
    settings: OperatorSettings, stop_flag: Flag | None = None, ready_flag: Flag | None = None
) -> None:
    """Run until `stop_flag` is set. Peering (active/standby replicas) is used when
    kopf's peering CRDs and a peering object exist; otherwise the operator runs
    standalone (see the startup handler).

    kopf stops for good when a watch fails with an error it deems permanent, such as
    the 404 a restarting apiserver answers for custom resources before it has
    registered their routes again. The operator keeps no state of its own, so it just
    starts kopf again (which lists everything afresh) until it is asked to stop.
    """
    liveness = (
        f"http://0.0.0.0:{settings.liveness_port}/healthz" if settings.liveness_port else None
    )
    while True:
        await kopf.operator(
            registry=build_registry(settings),
            clusterwide=not settings.namespaces,
            namespaces=settings.namespaces,
            liveness_endpoint=liveness,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
            memo=kopf.Memo(settings=settings),
        )
        if _is_set(stop_flag):
            return
        log.warning("kopf stopped without being asked to (a watch failed); restarting")
        await asyncio.sleep(RESTART_DELAY)


def run_operator(settings: OperatorSettings, verbose: bool = False) -> None:
    """The operator on a worker thread; this (main) thread turns SIGTERM/SIGINT into the
    stop flag, so a stop is told apart from a failure (see `operate`)."""
    kopf.configure(verbose=verbose, log_format=kopf.LogFormat.PLAIN)
    logging.getLogger("kairflow").setLevel(logging.DEBUG if verbose else logging.INFO)
    # Even with -v, not every response body of the API client.
    logging.getLogger("kubernetes_asyncio").setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = threading.Thread(
        target=lambda: asyncio.run(operate(settings, stop)), name="kairflow-operator"
    )
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
