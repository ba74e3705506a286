"""Running the operator: `kairflow operator` and `python -m kairflow.operator`."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any

import kopf

from kairflow.controller.handlers import build_registry
from kairflow.controller.settings import OperatorSettings

Flag = asyncio.Event | threading.Event | Future[Any]


async def operate(
    settings: OperatorSettings, stop_flag: Flag | None = None, ready_flag: Flag | None = None
) -> None:
    """Run until `stop_flag` is set (or forever). Peering (active/standby replicas) is
    used when kopf's peering CRDs and a peering object exist; otherwise the operator
    runs standalone (see the startup handler)."""
    liveness = (
        f"http://0.0.0.0:{settings.liveness_port}/healthz" if settings.liveness_port else None
    )
    await kopf.operator(
        registry=build_registry(settings),
        clusterwide=not settings.namespaces,
        namespaces=settings.namespaces,
        liveness_endpoint=liveness,
        stop_flag=stop_flag,
        ready_flag=ready_flag,
        memo=kopf.Memo(settings=settings),
    )


def run_operator(settings: OperatorSettings, verbose: bool = False) -> None:
    kopf.configure(verbose=verbose, log_format=kopf.LogFormat.PLAIN)
    logging.getLogger("kairflow").setLevel(logging.DEBUG if verbose else logging.INFO)
    asyncio.run(operate(settings))
