"""Where `dags test` and `dags next-execution` read a DAG: a file (YAML manifest or
Python), or a DAG deployed in the cluster (Airflow's commands take a dag_id).

From the cluster, the DAG comes with the scheduler's bookmark: the last automated
data interval, from its runs and its status, read as the operator reads them, so
`next-execution` shows what the operator will create next, not what a scheduler
seeing the DAG for the first time would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from kairflow.api import DAG
from kairflow.api.problems import validation_problems
from kairflow.cli.errors import UserError
from kairflow.cli.manifests import load_dag, load_pools
from kairflow.cli.options import connect
from kairflow.cli.runs_list import runs_of
from kairflow.core.run_history import last_automated, status_bookmark
from kairflow.core.run_info import DataInterval
from kairflow.core.schedule_validation import ScheduleError, load_timezone
from kairflow.k8s.observe import observe_run

_FILE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


@dataclass(frozen=True)
class DagSource:
    dag: DAG
    where: str
    """How messages name it: the file, or `dag "x" in namespace "ns"`."""
    last: DataInterval | None = None
    """The last automated data interval (None for a file: never scheduled yet)."""
    pools: dict[str, int] = field(default_factory=dict)
    """Slots of the Pools in the DAG's file (name -> slots)."""


def is_file_argument(argument: str) -> bool:
    """A path (it exists, or it is named like a DAG file), not a DAG name."""
    path = Path(argument)
    return path.exists() or path.suffix in _FILE_SUFFIXES or "/" in argument


def dag_source(
    argument: str, namespace: str | None, context: str | None, kubeconfig: str | None
) -> DagSource:
    if is_file_argument(argument):
        path = Path(argument)
        return DagSource(load_dag(path), argument, pools=load_pools(path))
    cluster = connect(namespace, context, kubeconfig)
    body = cluster.get("dags", argument)  # not found: one line, exit 3
    where = f'dag "{argument}" in namespace {cluster.namespace!r}'
    try:
        dag = DAG.model_validate(body)
    except ValidationError as exc:
        raise UserError(f"{where}: invalid DAG: {'; '.join(validation_problems(exc))}") from None
    try:
        zone = load_timezone(dag.spec.timezone)
    except ScheduleError as exc:
        raise UserError(f"{where}: {exc}") from None
    runs = [observe_run(run) for run in runs_of(cluster, argument)]
    return DagSource(dag, where, last_automated(runs, status_bookmark(dag.status), zone))
