"""Sensors: a task that pokes until a condition holds.

A poke is the task's command. Exit code 0 means the condition holds (success);
exit code 100 (`NOT_YET`) means "not yet, poke again later"; any other exit code is
a failure (retried per the task's retries). Each poke is its own short pod.
In `reschedule` mode no slot is held between pokes (state up_for_reschedule); in
`poke` mode the task keeps its slot and stays running between pokes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

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
    """Time until the next poke; with exponentialBackoff, Airflow's BaseSensorOperator
    formula (deterministic hash jitter), never beyond the timeout or maxWait."""
    interval = sensor.poke_interval
    if sensor.exponential_backoff:
        # Airflow counts from try_number 2 for the first re-poke.
        step = poke_number + 1
        base = max(1, int(interval.total_seconds() * (2 ** (step - 2))))
        key = f"{dag_name}#{task_name}#{first_poke_at.isoformat()}#{step}"
        run_hash = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(), 16)
        seconds = float(base + run_hash % base)
        remaining = (first_poke_at + sensor.timeout - now).total_seconds()
        seconds = max(0.0, min(remaining, seconds))
        if sensor.max_wait is not None:
            seconds = min(sensor.max_wait.total_seconds(), seconds)
        interval = timedelta(seconds=seconds)
    return interval


def timed_out(sensor: SensorSpec, first_poke_at: datetime, now: datetime) -> bool:
    return now - first_poke_at >= sensor.timeout
