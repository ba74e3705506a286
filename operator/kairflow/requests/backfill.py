"""A backfill as users ask for it, without a cluster: its dates, the Backfill manifest
it writes, and the dry-run plan (`kairflow backfill create --dry-run`, the web UI's
backfill dialog).

The plan is the operator's own: `core.backfill.dates_in` decides which logical
dates get a run created or cleared (the call `core.backfill_plan.make_plan` makes for
`controller.backfill_sync`, from the same inputs); the dates it leaves alone are shown
as skipped, with the reason. A plan the operator would refuse (too many separate
stretches of existing runs for its status) is refused here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from kairflow.api import DagRunState, DAGSpec, Reprocess
from kairflow.api.common import API_VERSION
from kairflow.api.types import DATETIME_PATTERN, parse_datetime
from kairflow.core import labels
from kairflow.core.backfill import BackfillAction, BackfillError, backfill_range, dates_in
from kairflow.core.backfill_plan import check_exceptions, stretches
from kairflow.core.backfill_progress import existing_states
from kairflow.core.naming import backfill_name, is_resource_name, label_value
from kairflow.core.observations import ObservedDag
from kairflow.core.params import conf_problems
from kairflow.core.run_info import DataInterval
from kairflow.core.schedule_validation import ScheduleError
from kairflow.core.times import as_utc
from kairflow.core.timetable import timetable_for
from kairflow.k8s.observe import observe_dag, observe_run
from kairflow.requests.errors import RequestError, whole_number

SKIP = "skip"
_DATE = re.compile(DATETIME_PATTERN)
_IN_FLIGHT = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)
Body = TypeVar("Body", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Fields:
    """What a front end calls each input, so an error names what the user typed in."""

    start: str
    end: str
    reprocess: str
    max_active_runs: str
    name: str


CLI_FIELDS = Fields("--from", "--to", "--reprocess", "--max-active-runs", "--name")


def parse_date(text: str, field: str) -> datetime:
    """A from/to date: what the Backfill's schema accepts (YYYY-MM-DD or ISO-8601),
    naive or not. A naive one stays naive: the operator reads it in the DAG's time
    zone, as it does a hand-written Backfill."""
    value = text.strip()
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(f"invalid date {text!r}")
        return parse_datetime(value)
    except ValueError:
        raise RequestError(
            f"{field}: invalid date {text!r}: use YYYY-MM-DD or ISO-8601, "
            "e.g. 2024-01-01 or 2024-01-01T06:00:00+09:00"
        ) from None


def check_order(
    start: datetime, end: datetime, fields: tuple[str, str] = ("--from", "--to")
) -> None:
    """From after to, when that is clear without the DAG's zone (both naive or both
    aware); a mixed pair is compared by the core once the zone is known."""
    naive = (start.tzinfo is None, end.tzinfo is None)
    if naive[0] == naive[1] and start > end:
        raise RequestError(
            f"{fields[0]} {start.isoformat()} is after {fields[1]} {end.isoformat()}"
        )


def parse_reprocess(text: str, field: str = "--reprocess") -> Reprocess:
    try:
        return Reprocess(text)
    except ValueError:
        choices = ", ".join(r.value for r in Reprocess)
        raise RequestError(f"{field}: {text!r} is not one of {choices}") from None


def parse_max_active_runs(value: str | int | None, field: str = "--max-active-runs") -> int | None:
    return None if value is None else whole_number(field, value)


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

    @classmethod
    def read(
        cls,
        dag: str,
        start_text: str,
        end_text: str,
        *,
        reprocess: str = Reprocess.NONE.value,
        max_active_runs: str | int | None = None,
        run_backwards: bool = False,
        conf: dict[str, Any] | None = None,
        fields: Fields = CLI_FIELDS,
    ) -> BackfillRequest:
        """The request from what the user typed; RequestError naming the field that is
        wrong (dates, their order when clear without the DAG's zone, the choices)."""
        start, end = parse_date(start_text, fields.start), parse_date(end_text, fields.end)
        check_order(start, end, (fields.start, fields.end))
        return cls(
            dag=dag,
            start=start,
            end=end,
            start_text=start_text,
            end_text=end_text,
            reprocess=parse_reprocess(reprocess, fields.reprocess),
            max_active_runs=parse_max_active_runs(max_active_runs, fields.max_active_runs),
            run_backwards=run_backwards,
            conf=conf,
        )

    def name(self, chosen: str | None = None, field: str = "--name") -> str:
        """The Backfill's name: the one chosen, else DAG-FROM-TO (so the same backfill
        asked twice is refused as existing)."""
        name = chosen or backfill_name(self.dag, self.start, self.end)
        if not is_resource_name(name):
            raise RequestError(
                f"{field}: {name!r} is not a valid name (lower-case letters, digits, '-' "
                "and '.', at most 253 characters)"
            )
        return name

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
    limit: int | None = None,
) -> list[PlannedDate]:
    """Every logical date in the range, in the order the Backfill starts them, with
    its action. BackfillError / ScheduleError when the core refuses the backfill (or
    the range has more than `limit` dates)."""
    span = backfill_range(spec, request.start, request.end, request.run_backwards)
    dated = dates_in(span, existing, request.reprocess, limit)
    check_exceptions(stretches(dated))  # what the operator's plan would refuse
    states = {as_utc(date, "existing logical date"): state for date, state in existing.items()}
    out = []
    for info, action in dated:
        shown = SKIP if action is None else action.value
        state = states.get(info.logical_date)
        out.append(
            PlannedDate(
                info.logical_date,
                info.data_interval,
                shown,
                _reason(shown, state, request.reprocess),
            )
        )
    return out


def runs_to_make(plan: list[PlannedDate]) -> int:
    return sum(1 for date in plan if date.action != SKIP)


def plan_for(
    dag_body: Mapping[str, Any],
    run_bodies: Iterable[Mapping[str, Any]],
    request: BackfillRequest,
    limit: int | None = None,
) -> tuple[ObservedDag, list[PlannedDate]]:
    """The plan the operator would make now, from the DAG and the runs as the cluster
    has them, read as the operator reads them (`observe_dag`, `observe_run`).

    RequestError when the operator would refuse it, or when no logical date of the
    schedule lies in the range: such a Backfill would complete at once having done
    nothing, so the range or the DAG is wrong.
    """
    dag = observe_dag(dag_body)
    if dag.spec is None or not dag.valid:
        raise RequestError(f"DAG {request.dag!r} is invalid: {'; '.join(dag.problems)}")
    refused = conf_problems(dag.spec.params, request.conf or {})
    if refused:
        raise RequestError(f"cannot backfill {request.dag}: {'; '.join(refused)}")
    runs = [
        observe_run(body)
        for body in run_bodies
        if (body.get("spec") or {}).get("dagName") == request.dag
    ]
    try:
        plan = dry_run(dag.spec, request, existing_states(runs), limit)
    except (BackfillError, ScheduleError) as exc:
        raise RequestError(f"cannot backfill {request.dag}: {exc}") from None
    if not plan:
        raise RequestError(
            f"no logical dates between {request.start_text} and {request.end_text} on "
            f"{request.dag}'s schedule ({timetable_for(dag.spec).description}): "
            "nothing to backfill"
        )
    return dag, plan


def nothing_to_make(plan: list[PlannedDate], request: BackfillRequest) -> str | None:
    """Why no Backfill is worth creating (every date has a run to keep), or None."""
    if runs_to_make(plan):
        return None
    return (
        f"nothing to backfill: all {len(plan)} logical dates have runs to keep "
        f"(reprocess {request.reprocess.value})"
    )


def plan_words(
    name: str, dag: ObservedDag, request: BackfillRequest, plan: list[PlannedDate]
) -> str:
    """The dry run in one line: how many runs, of which kind, in which order."""
    counts = {
        action: sum(1 for p in plan if p.action == action) for action in ("create", "clear", SKIP)
    }
    limit = request.max_active_runs or dag.max_active_runs
    order = "newest first" if request.run_backwards else "oldest first"
    return (
        f"backfill {name} of DAG {dag.name}: {runs_to_make(plan)} runs "
        f"({counts['create']} to create, {counts['clear']} to clear, {counts[SKIP]} skipped), "
        f"{order}, at most {limit} at once; times in {dag.zone.key}"
    )


def made_by(backfill: str, run_bodies: Iterable[Body]) -> list[Body]:
    """The DagRuns a Backfill created or cleared, by logical date. Callers select by the
    `kairflow.io/backfill` label; the annotation (the full name; the label may be
    hashed) confirms it, as the operator reads it (`observe_run`)."""
    mine = [run for run in run_bodies if observe_run(run).backfill == backfill]
    return sorted(
        mine,
        key=lambda r: ((r.get("status") or {}).get("logicalDate") or "", r["metadata"]["name"]),
    )


def in_flight(runs: Sequence[Mapping[str, Any]]) -> int:
    """How many of `runs` are queued or running (they run to the end when stopped)."""
    return sum(1 for r in runs if (r.get("status") or {}).get("state") in _IN_FLIGHT)


def stopped_words(backfill: str, made: Sequence[Mapping[str, Any]]) -> str:
    """What stopping (deleting) a Backfill leaves behind: the runs it made belong to
    the DAG, so they stay, and those in flight run to the end."""
    if not made:
        return "it had made no runs"
    return (
        f"its {len(made)} runs stay ({in_flight(made)} still in flight; "
        f"kubectl delete dagruns -l {labels.BACKFILL}={label_value(backfill)} removes them)"
    )
