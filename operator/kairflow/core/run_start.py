"""What a run becomes on its first sync: the DAG it runs (a version), its run id,
logical date and data interval — or why it cannot run.

Like Airflow's `trigger_dag`: a manual run's logical date defaults to when it was
made; a naive one is a wall time in the DAG's zone; a missing data interval is the
timetable's `infer_manual_data_interval`; conf must fit the DAG's params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairflow.api.common import DagRunState
from kairflow.api.dag import DAGSpec
from kairflow.api.dagrun import DagRunStatus, RunType
from kairflow.core.dag_versions import spec_json, version_name
from kairflow.core.naming import run_id
from kairflow.core.observations import ObservedDag, RequestedDates
from kairflow.core.params import conf_problems
from kairflow.core.run_info import DataInterval
from kairflow.core.times import iso, to_utc
from kairflow.core.timetable import timetable_for


@dataclass(frozen=True)
class RunStart:
    spec: DAGSpec
    dag_generation: int | None
    dag_version: str
    """The name of the spec's version (`dag_versions`)."""
    run_id: str
    logical_date: datetime
    data_interval: DataInterval

    def record(self, status: DagRunStatus) -> None:
        """Write the run's identity and its DAG version (the name of the stored spec:
        `dag_versions`) into its status."""
        status.message = None  # no longer "DAG ... not found"
        status.dag_version = self.dag_version
        status.dag_generation = self.dag_generation
        status.run_id = self.run_id
        status.logical_date = iso(self.logical_date)
        status.data_interval_start = iso(self.data_interval.start)
        status.data_interval_end = iso(self.data_interval.end)


@dataclass(frozen=True)
class RunRefused:
    reason: str
    """An Event reason: DagNotFound (it may still come) or InvalidRun (final)."""
    message: str
    final: bool

    def record(self, status: DagRunStatus, now: datetime) -> None:
        """Say why in the status; a final refusal fails the run."""
        status.message = self.message
        if self.final and status.state != DagRunState.FAILED:
            status.state = DagRunState.FAILED
            status.end_date = iso(now)


IDENTITY = ("run_id", "logical_date", "data_interval_start", "data_interval_end")
"""What `RunStart.record` writes of a run's identity."""


def identity_refusal(status: DagRunStatus) -> RunRefused | None:
    """A status that names the DAG version a run runs but not the run's identity was
    written by hand (the operator records all of them at once, `RunStart.record`): such
    a run cannot be planned, so it fails saying what is missing rather than crashing
    each sync."""
    fields = DagRunStatus.model_fields
    missing = [fields[name].alias or name for name in IDENTITY if not getattr(status, name)]
    if not missing:
        return None
    return RunRefused(
        "InvalidRun",
        f"cannot run: its status names a DAG version but no {', '.join(missing)} "
        "(the operator writes these together on a run's first sync; was the status "
        "written by hand?)",
        final=True,
    )


def start_run(
    dag: ObservedDag | None,
    dag_name: str,
    namespace: str,
    run_type: RunType,
    requested: RequestedDates,
    conf: Mapping[str, Any],
    created_at: datetime | None,
    now: datetime,
    requested_run_id: str | None = None,
) -> RunStart | RunRefused:
    """`requested_run_id`: the run id its spec asks for (a triggering task's runId)."""
    if dag is None:
        return RunRefused(
            "DagNotFound", f"DAG {dag_name!r} not found in namespace {namespace}", final=False
        )
    problems = list(dag.problems)
    if dag.spec is not None and not problems:
        problems = conf_problems(dag.spec.params, conf)
    if dag.spec is None or problems:
        return RunRefused("InvalidRun", "cannot run: " + "; ".join(problems), final=True)
    spec, zone = dag.spec, dag.zone
    logical = to_utc(requested.logical_date or created_at or now, zone)
    start, end = requested.data_interval_start, requested.data_interval_end
    if start is None or end is None:
        interval = timetable_for(spec).infer_manual_data_interval(run_after=logical)
    else:
        interval = DataInterval(to_utc(start, zone), to_utc(end, zone))
    return RunStart(
        spec=spec,
        dag_generation=dag.generation,
        # Named when the DAG was read (`observe_dag`); serializing a big spec again for
        # each of its runs would be wasted work.
        dag_version=dag.version or version_name(dag_name, spec_json(spec)),
        run_id=requested_run_id or run_id(run_type.value, logical),
        logical_date=logical,
        data_interval=interval,
    )
