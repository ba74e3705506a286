"""What `kairflow backfill create` reads and previews, without a cluster: its dates,
its conf, the Backfill manifest it writes, and the plan `--dry-run` prints.

The plan is the operator's own: `core.backfill.plan_backfill` decides which logical
dates get a run created or cleared (the same call `controller.backfill_sync` makes,
from the same inputs); the dates it leaves out are shown as skipped, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairflow.api import DagRunState, DAGSpec, Reprocess
from kairflow.api.common import API_VERSION
from kairflow.api.types import DATETIME_PATTERN, parse_datetime
from kairflow.cli.errors import UserError, whole_number
from kairflow.core.backfill import BackfillAction, plan_backfill, runs_between
from kairflow.core.run_info import DataInterval
from kairflow.core.schedule_validation import load_timezone
from kairflow.core.times import as_utc, to_utc
from kairflow.core.timetable import timetable_for

SKIP = "skip"
_DATE = re.compile(DATETIME_PATTERN)


def parse_date(text: str, flag: str) -> datetime:
    """A `--from`/`--to` value: what the Backfill's schema accepts (YYYY-MM-DD or
    ISO-8601), naive or not. A naive one stays naive: the operator reads it in the
    DAG's time zone, as it does a hand-written Backfill."""
    value = text.strip()
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(f"invalid date {text!r}")
        return parse_datetime(value)
    except ValueError:
        raise UserError(
            f"{flag}: invalid date {text!r}: use YYYY-MM-DD or ISO-8601, "
            "e.g. 2024-01-01 or 2024-01-01T06:00:00+09:00"
        ) from None


def check_order(start: datetime, end: datetime) -> None:
    """`--from` after `--to`, when that is clear without the DAG's zone (both naive or
    both aware); a mixed pair is compared by the core once the zone is known."""
    naive = (start.tzinfo is None, end.tzinfo is None)
    if naive[0] == naive[1] and start > end:
        raise UserError(f"--from {start.isoformat()} is after --to {end.isoformat()}")


def parse_reprocess(text: str) -> Reprocess:
    try:
        return Reprocess(text)
    except ValueError:
        choices = ", ".join(r.value for r in Reprocess)
        raise UserError(f"--reprocess: {text!r} is not one of {choices}") from None


def parse_max_active_runs(text: str | None) -> int | None:
    return None if text is None else whole_number("--max-active-runs", text)


@dataclass(frozen=True)
class BackfillRequest:
    """Everything `backfill create` was asked for, read and checked."""

    dag: str
    start: datetime
    end: datetime
    start_text: str
    end_text: str
    reprocess: Reprocess = Reprocess.NONE
    max_active_runs: int | None = None
    run_backwards: bool = False
    conf: dict[str, Any] | None = None

    def manifest(self, name: str) -> dict[str, Any]:
        """The Backfill; the dates as the user wrote them (the schema accepts them)."""
        spec: dict[str, Any] = {
            "dagName": self.dag,
            "from": self.start_text.strip(),
            "to": self.end_text.strip(),
            "reprocess": self.reprocess.value,
        }
        if self.max_active_runs is not None:
            spec["maxActiveRuns"] = self.max_active_runs
        if self.run_backwards:
            spec["runBackwards"] = True
        if self.conf is not None:
            spec["conf"] = self.conf
        return {
            "apiVersion": API_VERSION,
            "kind": "Backfill",
            "metadata": {"name": name},
            "spec": spec,
        }


@dataclass(frozen=True)
class PlannedDate:
    """One logical date in the range and what the Backfill does with it."""

    logical_date: datetime
    data_interval: DataInterval
    action: str
    """create, clear (its existing run is run again) or skip."""
    reason: str

    def to_json(self) -> dict[str, str]:
        return {
            "logical_date": self.logical_date.isoformat(),
            "data_interval_start": self.data_interval.start.isoformat(),
            "data_interval_end": self.data_interval.end.isoformat(),
            "action": self.action,
            "reason": self.reason,
        }


_FINISHED = {DagRunState.SUCCESS: "succeeded", DagRunState.FAILED: "failed"}


def _reason(action: str, state: DagRunState | None, reprocess: Reprocess) -> str:
    """Why a date gets its action, in the words of Airflow's reprocess behavior."""
    if action == BackfillAction.CREATE.value:
        return "no run yet"
    if state is None:
        return "not planned"  # the core creates every date without a run: not reached
    if not state.finished:
        return f"its run is {state.value} (runs in flight are never touched)"
    if action == BackfillAction.CLEAR.value:
        return f"its run {_FINISHED[state]}: run it again (reprocess {reprocess.value})"
    if reprocess is Reprocess.NONE:
        return f"its run {_FINISHED[state]} (reprocess none keeps existing runs)"
    return "its run succeeded (reprocess failed reruns failed runs only)"


def dry_run(
    spec: DAGSpec,
    request: BackfillRequest,
    existing: Mapping[datetime, DagRunState],
) -> list[PlannedDate]:
    """Every logical date in the range, in the order the Backfill starts them, with
    its action. BackfillError / ScheduleError when the core refuses the backfill."""
    planned = plan_backfill(
        spec,
        request.start,
        request.end,
        existing,
        request.reprocess,
        request.run_backwards,
    )
    actions = {item.logical_date: item.action.value for item in planned}
    states = {as_utc(date, "existing logical date"): state for date, state in existing.items()}
    tz = load_timezone(spec.timezone)
    dates = runs_between(timetable_for(spec), to_utc(request.start, tz), to_utc(request.end, tz))
    if request.run_backwards:
        dates.reverse()
    out = []
    for info in dates:
        action = actions.get(info.logical_date, SKIP)
        state = states.get(info.logical_date)
        out.append(
            PlannedDate(
                info.logical_date,
                info.data_interval,
                action,
                _reason(action, state, request.reprocess),
            )
        )
    return out


def runs_to_make(plan: list[PlannedDate]) -> int:
    return sum(1 for date in plan if date.action != SKIP)
