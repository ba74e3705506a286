"""Airflow's LatestOnlyOperator: does a run's work still matter now?

Airflow 2.10 (`airflow/operators/latest_only.py`): an externally triggered run (a
manual run a user triggered; not a `dags test` run, in Airflow as here) proceeds;
otherwise the interval that follows the run's data interval is computed, ignoring
startDate, endDate and catchup, and the run is the latest one when
`start < now <= end` of that following interval. No following interval (`@once`)
also proceeds. A latestOnly task makes the decision once, when it runs, and records
it as a branch would: its XCom is the list of direct downstream tasks to follow
(all or none), so later passes with a later `now` never change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kairflow.api.dag import DAGSpec
from kairflow.core.run_info import DataInterval, TimeRestriction
from kairflow.core.times import iso
from kairflow.core.timetable import ScheduleError, timetable_for

_UNRESTRICTED = TimeRestriction(earliest=None, latest=None, catchup=True)


@dataclass(frozen=True)
class LatestOnlyDecision:
    proceed: bool
    """True: the direct downstream tasks run; False: they are skipped."""
    reason: str


def decide(
    spec: DAGSpec, externally_triggered: bool, data_interval: DataInterval, now: datetime
) -> LatestOnlyDecision:
    """Whether a run over `data_interval` is the latest one at `now`."""
    if externally_triggered:
        return LatestOnlyDecision(True, "manually triggered run: downstream tasks proceed")
    try:
        timetable = timetable_for(spec)
    except ScheduleError:  # reported on the DAG already; the run itself is not at fault
        return LatestOnlyDecision(True, "the DAG has no valid schedule: downstream tasks proceed")
    following = timetable.next_dagrun_info(
        last_automated_data_interval=data_interval, restriction=_UNRESTRICTED, now=now
    )
    if following is None:
        return LatestOnlyDecision(True, "last scheduled run: downstream tasks proceed")
    start, end = following.data_interval.start, following.data_interval.end
    window = f"({iso(start)}, {iso(end)}]"
    if start < now <= end:
        return LatestOnlyDecision(True, f"latest run (now is within {window})")
    return LatestOnlyDecision(
        False, f"not the latest run (now is outside {window}): downstream tasks skipped"
    )
