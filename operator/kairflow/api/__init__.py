"""The public resource contract: pydantic models of DAG, DagRun, Backfill, Pool and Asset.

These models are the single source of truth for the CRD schemas in `crds/`
(see `kairflow.api.crd`). Field names are camelCase on the wire, snake_case in Python.
"""

from kairflow.api.asset import Asset, AssetEvent, AssetSchedule, AssetSpec, AssetStatus
from kairflow.api.backfill import Backfill, BackfillSpec, BackfillStatus, Reprocess
from kairflow.api.common import GROUP, VERSION, Condition, DagRunState, TaskInstanceState
from kairflow.api.dag import (
    DAG,
    DAGSpec,
    DAGStatus,
    ExpandSpec,
    SensorMode,
    SensorSpec,
    TaskDefaults,
    TaskSpec,
    TimetableKind,
    TriggerRule,
    WeightRule,
)
from kairflow.api.dagrun import DagRun, DagRunSpec, DagRunStatus, RunType, TaskInstanceStatus
from kairflow.api.pool import Pool, PoolSpec, PoolStatus
from kairflow.api.types import Duration, LenientDateTime, format_duration, parse_duration

__all__ = [
    "DAG",
    "GROUP",
    "VERSION",
    "Asset",
    "AssetEvent",
    "AssetSchedule",
    "AssetSpec",
    "AssetStatus",
    "Backfill",
    "BackfillSpec",
    "BackfillStatus",
    "Condition",
    "DAGSpec",
    "DAGStatus",
    "DagRun",
    "DagRunSpec",
    "DagRunState",
    "DagRunStatus",
    "Duration",
    "ExpandSpec",
    "LenientDateTime",
    "Pool",
    "PoolSpec",
    "PoolStatus",
    "Reprocess",
    "RunType",
    "SensorMode",
    "SensorSpec",
    "TaskDefaults",
    "TaskInstanceState",
    "TaskInstanceStatus",
    "TaskSpec",
    "TimetableKind",
    "TriggerRule",
    "WeightRule",
    "format_duration",
    "parse_duration",
]
