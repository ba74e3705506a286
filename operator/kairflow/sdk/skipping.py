"""A task that skips itself, as in Airflow: a `BashOperator` whose command exits 99
(`skip_on_exit_code`), or a Python task that raises `AirflowSkipException`.

The engine knows exit codes only: a task's `skipOnExitCode` lists the codes that
leave it skipped. A Python task's shipped runtime catches `AirflowSkipException`
(any exception class carrying `_kf_skips_task`) and exits with `SKIP_EXIT_CODE`,
which every Python task lists.

Why 98 and not Airflow's 99: a Python task exiting 99 (`sys.exit(99)`, or a
`@task.bash` command that exits 99 with `skip_on_exit_code=None`) fails in Airflow,
and must fail here too. So the runtime's code is one of its own, next to the
sensors' 100 ("not yet"); 98 has no conventional meaning (not a shell, signal or
sysexits code). The price: a Python task that exits 98 by itself is skipped.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.shipping import runtime
from kairflow.sdk.shipping.names import shipped_class

SKIP_EXIT_CODE: int = runtime._KF_SKIPPED
"""What a Python task exits with when it raises AirflowSkipException."""
BASH_SKIP_EXIT_CODE = 99
"""Airflow's BashOperator / @task.bash default skip_on_exit_code."""

AirflowSkipException = shipped_class(
    "class AirflowSkipException(Exception):\n"
    '    """Raise it in a task to skip the task (Airflow\'s AirflowSkipException)."""\n'
    "\n"
    "    _kf_skips_task = True  # the shipped runtime exits with the skip exit code\n"
)


def skip_codes(value: Any, what: str) -> list[int]:
    """Airflow's `skip_on_exit_code` (an int, a container of ints, or None for none)
    as a sorted list of exit codes."""
    if value is None:
        return []
    codes: Iterable[Any] = [value] if isinstance(value, int) else value
    if not isinstance(codes, Container) or isinstance(codes, str | bytes):
        raise SdkError(f"{what}: skip_on_exit_code must be an int, a list of ints or None")
    listed = list(codes)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in listed):
        raise SdkError(f"{what}: skip_on_exit_code must be an int, a list of ints or None")
    return sorted(set(listed))
