"""Following one run live until it finishes (`dags trigger --wait`, `runs wait`).

On a terminal: a live view (progress bar and the task instances in DAG order),
redrawn on every change the apiserver's watch reports. In a pipe or a log: one line
per change (`12:00:03  extract  running  try 1`), so CI logs read as a story. Either
way the exit code says how the run ended: 0 success, 1 failed, 6 timed out.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.text import Text

from kairflow.api import DagRun
from kairflow.api.dagrun import TaskInstanceStatus
from kairflow.cli.errors import EXIT_FAILED, EXIT_TIMEOUT, UserError
from kairflow.cli.kube import Cluster
from kairflow.cli.views.fmt import short_duration
from kairflow.cli.views.tree import run_tree
from kairflow.core.map_window import progress

_FINISHED = ("success", "failed")
_WATCH_SECONDS = 60


def run_state(run: dict[str, Any]) -> str:
    return str((run.get("status") or {}).get("state") or "pending")


def _progress(run: dict[str, Any]) -> tuple[int, int]:
    tis = (run.get("status") or {}).get("taskInstances") or {}
    return progress(TaskInstanceStatus.model_validate(ti) for ti in tis.values())


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """(task instance, new state, try) for every task instance whose state or try
    changed between two observations of a run, in the run's order."""
    old = ((before or {}).get("status") or {}).get("taskInstances") or {}
    new = (after.get("status") or {}).get("taskInstances") or {}
    for key, ti in new.items():
        state, tries = str(ti.get("state") or "none"), int(ti.get("tryNumber") or 0)
        prior = old.get(key) or {}
        if (str(prior.get("state") or "none"), int(prior.get("tryNumber") or 0)) != (
            state,
            tries,
        ):
            yield key, state, tries


def summary(run: dict[str, Any]) -> str:
    status = run.get("status") or {}
    done, total = _progress(run)
    took = ""
    if status.get("duration"):
        took = f" in {status['duration']}"
    message = f": {status['message']}" if status.get("message") else ""
    return (
        f"dagrun.kairflow.io/{run['metadata']['name']} {run_state(run)}{took} "
        f"({done}/{total} task instances finished){message}"
    )


def _live_view(run: dict[str, Any], started: float) -> RenderableType:
    done, total = _progress(run)
    header = Text.assemble(
        (f"{run['metadata']['name']}  ", "bold"),
        (run_state(run), ""),
        f"  {done}/{total}  {short_duration(timedelta(seconds=time.monotonic() - started))}",
    )
    try:
        tree: RenderableType = run_tree(DagRun.model_validate(run))
    except ValueError:
        tree = Text("")
    return Group(header, ProgressBar(total=max(total, 1), completed=done, width=40), tree)


def _objects(cluster: Cluster, name: str, deadline: float | None) -> Iterator[dict[str, Any]]:
    """The run now and after each change, re-watching when a watch ends, until the
    deadline passes (then stops)."""
    while deadline is None or time.monotonic() < deadline:
        seconds = _WATCH_SECONDS
        if deadline is not None:
            seconds = max(1, min(seconds, int(deadline - time.monotonic()) + 1))
        yield from cluster.watch_one("dagruns", name, seconds)


def follow(
    cluster: Cluster, name: str, timeout: float | None = None, stream: TextIO | None = None
) -> dict[str, Any]:
    """Follow run `name` until it finishes, printing as it goes; returns the finished
    run. Raises UserError with EXIT_TIMEOUT when `timeout` passed first.
    Progress goes to `stream` (stdout by default; stderr when stdout carries -o json)."""
    out = stream or sys.stdout
    run = cluster.get("dagruns", name)  # a clear "not found" before any watching
    deadline = None if timeout is None else time.monotonic() + timeout
    started = time.monotonic()
    interactive = out.isatty()
    last: dict[str, Any] | None = None
    if interactive:
        with Live(_live_view(run, started), console=Console(file=out), auto_refresh=False) as live:
            for run in _objects(cluster, name, deadline):
                live.update(_live_view(run, started), refresh=True)
                if run_state(run) in _FINISHED:
                    break
    else:
        for run in _objects(cluster, name, deadline):
            clock = datetime.now(UTC).strftime("%H:%M:%S")
            for key, state, tries in changes(last, run):
                out.write(f"{clock}  {key}  {state}  try {tries}\n")
            if last is None or run_state(last) != run_state(run):
                out.write(f"{clock}  run {name}  {run_state(run)}\n")
            out.flush()
            last = run
            if run_state(run) in _FINISHED:
                break
    state = run_state(run)
    if state not in _FINISHED:
        waited = short_duration(timedelta(seconds=timeout or 0))
        raise UserError(f"dagrun {name!r} still {state} after {waited}", EXIT_TIMEOUT)
    out.write(summary(run) + "\n")
    return run


def raise_if_failed(run: dict[str, Any]) -> None:
    """Exit 1 for a failed run (after its result has been printed)."""
    if run_state(run) == "failed":
        raise UserError(f"dagrun {run['metadata']['name']!r} failed", EXIT_FAILED)
