"""A manual run (Airflow's "Trigger DAG"), as `kairflow dags trigger` and the web UI's
trigger dialog create it.

The run is named as the operator names runs (`<dag>-manual-<logical date>`), so
triggering the same logical date twice is refused the way Airflow refuses a duplicate
run id, and the name tells what the run is for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kairflow.api.common import API_VERSION
from kairflow.api.dagrun import RunType
from kairflow.api.types import parse_datetime
from kairflow.core.naming import dagrun_name
from kairflow.core.params import conf_problems
from kairflow.core.schedule_validation import ScheduleError, load_timezone
from kairflow.core.times import iso, to_utc
from kairflow.requests.errors import RequestError


def logical_date(
    text: str | None, zone: str, now: datetime, field: str = "--logical-date"
) -> datetime:
    """The run's logical date in UTC: `now` by default; a naive one is a wall time in
    the DAG's time zone (as the operator reads a manual run's logicalDate)."""
    if text is None:
        return now.astimezone(UTC)
    try:
        parsed = parse_datetime(text)
    except ValueError as exc:
        raise RequestError(f"{field}: {exc}") from None
    try:
        return to_utc(parsed, load_timezone(zone))
    except ScheduleError as exc:
        raise RequestError(f"the DAG's timezone: {exc}") from None


class ConfRefused(RequestError):
    """A conf the DAG's params refuse (the web UI answers 422, the CLI exits 2)."""


def check_conf(dag_spec: Mapping[str, Any], conf: Mapping[str, Any]) -> None:
    """Refuse, before anything is created, the conf the operator would refuse: merged
    over the DAG's param defaults, it must pass every param's schema."""
    problems = conf_problems(dag_spec.get("params") or {}, conf)
    if problems:
        raise ConfRefused("; ".join(problems))


def manual_run(dag: str, when: datetime, conf: dict[str, Any], name: str | None) -> dict[str, Any]:
    """The DagRun a trigger creates."""
    return {
        "apiVersion": API_VERSION,
        "kind": "DagRun",
        "metadata": {"name": name or dagrun_name(dag, RunType.MANUAL.value, when)},
        "spec": {
            "dagName": dag,
            "runType": RunType.MANUAL.value,
            "logicalDate": iso(when),
            **({"conf": conf} if conf else {}),
        },
    }
