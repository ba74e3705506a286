"""Sensors: a task that pokes until a condition holds.

A poke is the task's command. Exit code 0 means the condition holds (success);
exit code 100 (`NOT_YET`) means "not yet, poke again later"; any other exit code is
a failure (retried per the task's retries). Each poke is its own short pod.
In `reschedule` mode no slot is held between pokes (state up_for_reschedule); in
`poke` mode the task keeps its slot and stays running between pokes.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from kairflow.api.dag import SensorSpec

NOT_YET = 100


def next_poke_interval(
    sensor: SensorSpec,
    *,
    dag_name: str,
    task_name: str,
    first_poke_at: datetime,
    poke_number: int,
    now: datetime,
) -> timedelta:
    """Time until the next poke after poke `poke_number` (1 for the first) said not
    yet. With exponentialBackoff, Airflow's BaseSensorOperator formula: base =
    max(1, int(interval * 2^(poke_number - 2))) seconds plus a deterministic hash
    jitter below the base, never beyond the timeout, then bounded by a (non-zero)
    maxWait."""
    if not sensor.exponential_backoff:
        return sensor.poke_interval
    base = max(1, int(sensor.poke_interval.total_seconds() * (2 ** (poke_number - 2))))
    # Airflow hashes str() of the first poke's start as it keeps it, a datetime in UTC:
    # "2026-11-21 12:00:00+00:00" (a space, not a 'T').
    key = f"{dag_name}#{task_name}#{first_poke_at.astimezone(UTC)}#{poke_number}"
    run_hash = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(), 16)
    # Airflow counts whole seconds run: int(run_duration).
    ran = int((now - first_poke_at).total_seconds())
    seconds = max(0.0, min(sensor.timeout.total_seconds() - ran, base + run_hash % base))
    if sensor.max_wait:  # Airflow tests it for truth: a zero maxWait bounds nothing
        seconds = min(sensor.max_wait.total_seconds(), seconds)
    return timedelta(seconds=seconds)


def timed_out(sensor: SensorSpec, first_poke_at: datetime, now: datetime) -> bool:
    """Airflow's check: the time since the first poke exceeds the timeout."""
    return now - first_poke_at > sensor.timeout
