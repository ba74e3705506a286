"""Retries: whether a failed try may be retried, and when (Airflow's formula)."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from kairflow.core.task_settings import MAX_RETRY_DELAY, TaskPolicy


def may_retry(policy: TaskPolicy, try_number: int, max_tries: int, exit_code: int | None) -> bool:
    """A try that failed may be retried while tries remain; with `retryOnExitCodes`,
    only for those exit codes (a kill or timeout has no exit code: never retried then)."""
    if try_number >= max_tries:
        return False
    if policy.retry_on_exit_codes is not None:
        return exit_code is not None and exit_code in policy.retry_on_exit_codes
    return True


def retry_delay(
    policy: TaskPolicy, *, dag_name: str, task_name: str, logical_date: datetime, failed_try: int
) -> timedelta:
    """Airflow 2's `TaskInstance.next_retry_datetime` delay.

    A fixed retryDelay is waited as it is. With exponential backoff: base =
    max(1, ceil(delay * 2^(failed_try - 1))) seconds, plus a deterministic hash of
    dag/task/logical date/next try modulo base, capped by 24 h and then by a
    (non-zero) maxRetryDelay.
    """
    if not policy.retry_exponential_backoff:
        return policy.retry_delay
    next_try = failed_try + 1
    base = max(1, math.ceil(policy.retry_delay.total_seconds() * (2 ** (next_try - 2))))
    # Airflow hashes str() of the execution date its scheduler reads back from the
    # database: a datetime in UTC, "2026-11-21 00:00:00+00:00" (a space, not a 'T').
    key = f"{dag_name}#{task_name}#{logical_date.astimezone(UTC)}#{next_try}"
    ti_hash = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest(), 16)
    delay = timedelta(seconds=min(base + ti_hash % base, MAX_RETRY_DELAY.total_seconds()))
    if policy.max_retry_delay:  # Airflow tests it for truth: a zero cap caps nothing
        delay = min(policy.max_retry_delay, delay)
    return delay
