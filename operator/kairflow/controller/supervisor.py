"""Keeping kopf running: every kopf run gets a thread and an event loop of its own,
and a supervisor starts a new run whenever one ends without being asked to.

Why: kopf stops for good when a watch fails in a way it deems permanent, such as the
404 a restarting kube-apiserver answers for custom resources before their routes are
back. And its shutdown can hang: a watcher that was sleeping in a retry backoff can
swallow the cancellation and then wait forever to re-authenticate on the session
kopf has just closed. A run on a loop of its own can be abandoned when its shutdown
does not end in time, without holding up the next run or the process's exit. The
operator keeps no state of its own, so a new run lists everything afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import kopf

from kairflow.controller.handlers import build_registry
from kairflow.controller.metrics import Metrics
from kairflow.controller.settings import OperatorSettings

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0  # doubled after each run that ended quickly, up to MAX_RESTART_DELAY
MAX_RESTART_DELAY = 60.0
QUICK_RUN = 60.0  # a run that lasted longer resets the delay
# From kopf's cleanup to the end of its run; kopf itself gives stuck tasks 5 s.
SHUTDOWN_GRACE = 10.0


class KopfRun:
    """One `kopf.operator` on a daemon thread and an event loop of its own."""

    def __init__(
        self,
        settings: OperatorSettings,
        memo: kopf.Memo,
        ready: threading.Event,
        on_end: Callable[[], None],
        name: str,
    ) -> None:
        self._settings, self._memo, self._ready, self._on_end = settings, memo, ready, on_end
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except asyncio.CancelledError:
            log.debug("%s was abandoned", self._thread.name)
        except Exception as exc:  # the supervisor starts a new run
            log.warning("%s failed: %r", self._thread.name, exc, exc_info=True)
        finally:
            self._started.set()
            self._on_end()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._task = asyncio.current_task()
        self._started.set()
        settings = self._settings
        liveness = (
            f"http://0.0.0.0:{settings.liveness_port}/healthz" if settings.liveness_port else None
        )
        await kopf.operator(
            registry=build_registry(settings),
            clusterwide=not settings.namespaces,
            namespaces=settings.namespaces,
            liveness_endpoint=liveness,
            # An asyncio flag: kopf waits for a threading one on an executor thread,
            # which would keep asyncio.run from returning.
            stop_flag=self._stop,
            ready_flag=self._ready,
            memo=self._memo,
        )

    def start(self) -> KopfRun:
        self._thread.start()
        self._started.wait()
        return self

    def _call(self, fn: Callable[[], object] | None) -> None:
        loop = self._loop
        if loop is not None and fn is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the run is over
                loop.call_soon_threadsafe(fn)

    def stop(self) -> None:
        """Ask kopf to stop (the graceful way)."""
        self._call(self._stop.set if self._stop else None)

    def abandon(self) -> None:
        """Cancel the run outright; its thread is left to finish (or not) on its own."""
        self._call(self._task.cancel if self._task else None)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


class OperatorThread:
    """The operator in the background, stoppable from any thread (and from signal
    handlers): a supervisor thread that keeps one kopf run going until `stop()`."""

    def __init__(self, settings: OperatorSettings, name: str = "kairflow-operator") -> None:
        self.settings = settings
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.runs = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name=name, daemon=True)

    def start(self) -> OperatorThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the operator to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _supervise(self) -> None:
        try:
            # One registry and port for the process: the metrics outlive kopf runs.
            metrics = Metrics()
            metrics.serve(self.settings.metrics_port)
            delay = RESTART_DELAY
            while not self._stop.is_set():
                began = time.monotonic()
                self._run_kopf_once(metrics)
                if self._stop.is_set():
                    break
                if time.monotonic() - began > QUICK_RUN:
                    delay = RESTART_DELAY
                log.warning("kopf stopped unasked; starting it again in %.0fs", delay)
                self._stop.wait(delay)
                delay = min(delay * 2, MAX_RESTART_DELAY)
        except BaseException as exc:  # reported by the owner of the operator
            self.error = exc
            log.exception("the operator's supervisor failed")

    def _run_kopf_once(self, metrics: Metrics) -> None:
        self.runs += 1
        ending = threading.Event()

        def on_ending() -> None:  # kopf's cleanup activity: the run is shutting down
            ending.set()
            self._wake.set()

        memo = kopf.Memo(settings=self.settings, metrics=metrics, on_ending=on_ending)
        run = KopfRun(self.settings, memo, self.ready, self._wake.set, f"kopf-{self.runs}")
        run.start()
        while run.alive and not ending.is_set() and not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
        run.stop()
        if not run.join(SHUTDOWN_GRACE):
            log.error(
                "kopf run %d did not end within %.0fs; abandoning it", self.runs, SHUTDOWN_GRACE
            )
            run.abandon()
