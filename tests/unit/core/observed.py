"""Builders of the core's observations (`ObservedDag`, `ObservedRun`) for table rows:
dates are short ISO strings, everything else keeps the dataclasses' defaults."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kairflow.api.common import DagRunState, TaskInstanceState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import RunType
from kairflow.core.observations import ObservedDag, ObservedRun, RequestedDates, SlotUse
from kairflow.core.run_info import DataInterval

NS = "team"
DAG = "etl"

QUEUED, RUNNING = DagRunState.QUEUED, DagRunState.RUNNING
SUCCESS, FAILED = DagRunState.SUCCESS, DagRunState.FAILED


def at(text: str) -> datetime:
    """An aware instant: `2026-01-02` or `2026-01-02T03:00` is UTC, an offset is kept."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wall(text: str) -> datetime:
    """A naive wall time, as a user writes it in a run's spec."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is None, "a wall time has no zone"
    return moment


def interval(start: str, end: str) -> DataInterval:
    return DataInterval(at(start), at(end))


def spec(**fields: Any) -> DAGSpec:
    """A valid DAG spec (one task unless `tasks` is given); camelCase or snake_case."""
    fields.setdefault("tasks", [{"name": "extract", "bash": "true"}])
    return DAGSpec.model_validate(fields)


def dag(
    *, paused: bool = False, max_active_runs: int = 16, timezone: str = "UTC", **fields: Any
) -> ObservedDag:
    """A valid DAG named `etl` in namespace `team`."""
    return ObservedDag(
        NS,
        DAG,
        spec(paused=paused, max_active_runs=max_active_runs, timezone=timezone, **fields),
        paused=paused,
        max_active_runs=max_active_runs,
    )


def run(
    name: str,
    *,
    state: DagRunState | None = None,
    logical: str | None = None,
    requested: str | datetime | None = None,
    requested_interval: tuple[str | datetime | None, str | datetime | None] | None = None,
    created: str | None = None,
    data_interval: tuple[str, str] | None = None,
    ended: str | None = None,
    started: str | None = None,
    tasks: Mapping[str, TaskInstanceState] | None = None,
    holding: tuple[tuple[str, int], ...] = (),
    run_type: RunType = RunType.MANUAL,
    **fields: Any,
) -> ObservedRun:
    """A run of `etl` in `team`. `requested` dates given as strings are wall times
    (naive, read in the DAG's zone) unless they carry an offset."""

    def asked(value: str | datetime | None) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    start, end = requested_interval or (None, None)
    return ObservedRun(
        namespace=fields.pop("namespace", NS),
        name=name,
        dag_name=fields.pop("dag_name", DAG),
        run_type=run_type,
        created_at=at(created) if created else None,
        requested=RequestedDates(asked(requested), asked(start), asked(end)),
        logical_date=at(logical) if logical else None,
        data_interval=interval(*data_interval) if data_interval else None,
        state=state,
        start_date=at(started) if started else None,
        end_date=at(ended) if ended else None,
        task_states=dict(tasks or {}),
        holding={f"t{i}": SlotUse(pool, slots) for i, (pool, slots) in enumerate(holding)},
        **fields,
    )
