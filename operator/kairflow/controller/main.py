"""Running the operator: `kairflow operator` and `python -m kairflow.operator`."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import kopf

from kairflow.controller.malloc import limit_arenas
from kairflow.controller.settings import OperatorSettings
from kairflow.controller.supervisor import OperatorThread

log = logging.getLogger(__name__)


def run_operator(settings: OperatorSettings, verbose: bool = False) -> None:
    """The operator on background threads (see `supervisor`); this (main) thread turns
    SIGTERM/SIGINT into a stop, so a stop is told apart from a failure."""
    limit_arenas()  # before the operator's threads start allocating
    kopf.configure(verbose=verbose, log_format=kopf.LogFormat.PLAIN)
    logging.getLogger("kairflow").setLevel(logging.DEBUG if verbose else logging.INFO)
    # Even with -v, not every response body of the API client.
    logging.getLogger("kubernetes_asyncio").setLevel(logging.INFO)
    operator = OperatorThread(settings)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        operator.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    operator.start()
    while not operator.join(0.5):
        pass
    if operator.error is not None:
        raise SystemExit(1)
