"""Watching one run whole (`runs wait`, `dags trigger --wait`): the run and, for a big
run, the TaskInstanceSlices that hold its task instances (and the sealed blocks of a
big mapped task's finished instances, slices with the same label).

A big run's task instances change in its slices; the run itself is written only when
its own fields change (state, progress), so a task instance that starts or retries is
an event on a slice alone. Both are watched, each in a thread (the synchronous
client's watch blocks), merged through one queue into a `requests.live_runs.Assembly`
that puts the run back together; each event is shown as it comes. The slices are
listed first and watched from that list's resourceVersion, so the first run shown is
whole, not filled in slice by slice.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kairflow.cli.errors import EXIT_NOT_FOUND, UserError
from kairflow.core.labels import DAG_RUN
from kairflow.core.naming import label_value
from kairflow.requests.live_runs import Assembly
from kairflow.requests.sliced_runs import PLURAL

if TYPE_CHECKING:
    from kairflow.cli.kube import Cluster

_RUN, _SLICES = "run", "slices"
_END = object()  # a watch ended (its timeout passed, or the API server closed it)
Event = tuple[str, Any]


@dataclass(frozen=True)
class Watching:
    """A watch's events, and how to stop it from another thread: `stop` shuts the
    watch's socket, so a read blocked on it returns."""

    events: Iterator[Any]
    stop: Callable[[], None]


def _pump(events: queue.Queue[Event], source: str, stream: Iterator[Any]) -> None:
    """Put a watch's events on `events` until it ends (or is stopped)."""
    try:
        for event in stream:
            events.put((source, event))
    except Exception as exc:  # handed to the reader's thread, which reports it
        events.put((source, exc))
    finally:
        events.put((source, _END))


def _start(events: queue.Queue[Event], source: str, watching: Watching) -> threading.Thread:
    pump = threading.Thread(
        target=_pump, args=(events, source, watching.events), name=f"kairflow-watch-{source}"
    )
    # A daemon only in case `_stop` gives up on it; `_stop` is what lets a command that
    # stops following (the run finished) exit at once.
    pump.daemon = True
    pump.start()
    return pump


def _stop(pumps: list[tuple[threading.Thread, Watching]]) -> None:
    """Stop the watches and wait (5 s at most) for their pumps to end.

    A pump left reading at the interpreter's exit can abort it (SIGABRT: CPython
    finalizes the connection's buffered reader while the pump's blocked read holds its
    lock). A watch stopped before its pump opened it forgets the stop (the client's
    stream clears its flag when it starts), hence the stop again while waiting."""
    deadline = time.monotonic() + 5.0
    for pump, watching in pumps:
        while pump.is_alive() and time.monotonic() < deadline:
            watching.stop()
            pump.join(0.05)


def watch_run(cluster: Cluster, name: str, timeout: int) -> Iterator[dict[str, Any]]:
    """Run `name` now and after each change to it or to its slices, whole, until the
    run's watch ends (after `timeout` seconds: the caller watches again)."""
    assembly = Assembly()
    selector = f"{DAG_RUN}={label_value(name)}"
    events: queue.Queue[Event] = queue.Queue()
    pumps: list[tuple[threading.Thread, Watching]] = []
    reason: str | None = None
    try:
        listed = cluster.listing(PLURAL, selector, _raw_errors=True)
    except Exception as exc:  # refused or not served: the run is shown without them
        reason = str(cluster.failure(exc, PLURAL))
    else:
        assembly.reset_slices(listed.get("items") or [])
        version = str((listed.get("metadata") or {}).get("resourceVersion") or "")
        slices = cluster.watching(
            PLURAL, timeout, label_selector=selector, resource_version=version
        )
        pumps.append((_start(events, _SLICES, slices), slices))
    run = cluster.watching("dagruns", timeout, field_selector=f"metadata.name={name}")
    pumps.append((_start(events, _RUN, run), run))
    try:
        while True:
            # One event at a time, each change shown: a task instance that runs and
            # succeeds between two reads is still seen running (`--wait` follows it).
            source, event = events.get()  # the run's watch ends within `timeout`
            if source == _RUN:
                ended = event is _END
                changed = _on_run(cluster, assembly, name, event)
            elif _failed(event):
                # A slice watch that fails (or expires) ends this watch: the caller
                # watches again, listing the slices anew.
                ended, changed = True, False
            else:
                ended, changed = False, _on_slice(assembly, event)
            whole = assembly.whole((cluster.namespace, name)) if changed else None
            if whole is not None:
                yield cluster.shown(whole, reason)
            if ended:
                return
    finally:
        _stop(pumps)


def _on_run(cluster: Cluster, assembly: Assembly, name: str, event: Any) -> bool:
    if event is _END:
        return False
    if isinstance(event, Exception):
        raise cluster.failure(event, f'dagrun "{name}"')
    if event["type"] == "DELETED":
        raise UserError(f'dagrun "{name}" was deleted', EXIT_NOT_FOUND)
    if event["type"] in ("ADDED", "MODIFIED"):
        assembly.put_run(cluster.with_specs([event["object"]])[0])
        return True
    return False


def _failed(event: Any) -> bool:
    return isinstance(event, Exception) or (event is not _END and event.get("type") == "ERROR")


def _on_slice(assembly: Assembly, event: Any) -> bool:
    if event is _END:
        return False
    body = event["object"]
    change = assembly.forget_slice(body) if event["type"] == "DELETED" else assembly.put_slice(body)
    return change is not None
