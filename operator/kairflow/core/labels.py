"""Every label and annotation key Kairflow writes or selects on.

Labels are for selectors (`kubectl get pods -l kairflow.io/dag=etl`): their values
are cut and hashed to fit 63 characters (`naming.label_value`). Annotations carry
the same facts in full.
"""

from __future__ import annotations

PREFIX = "kairflow.io/"

DAG = "kairflow.io/dag"
DAG_RUN = "kairflow.io/dag-run"
RUN_TYPE = "kairflow.io/run-type"
TASK = "kairflow.io/task"
TRY = "kairflow.io/try"
MAP_INDEX = "kairflow.io/map-index"
POKE = "kairflow.io/poke"
BACKFILL = "kairflow.io/backfill"
"""On backfill runs: the label (for selectors) and the annotation (the full name)."""

TRIGGERED_BY = "kairflow.io/triggered-by"
"""On a DagRun a triggerDagRun task created: `<run>/<task instance>/<try>` (annotation)."""

IGNORE = "kairflow.io/ignore"
"""On a namespace: "true" when an operator of its own serves it (see controller.handlers)."""

LOCALNODE = "kairflow.io/localnode"

SHARD_GROUP = "kairflow.io/shard-group"
"""On an operator replica's Lease: the group of replicas sharing the DAGs (docs/sharding.md)."""
SHARD_IDENTITY = "kairflow.io/shard-identity"
"""On an operator replica's Lease (annotation): the replica, also once it released the Lease."""

# Annotations on task pods (full values of what the labels cut).
RUN_ID = "kairflow.io/run-id"
LOGICAL_DATE = "kairflow.io/logical-date"
TRY_NUMBER = "kairflow.io/try-number"

MANAGED_BY = "app.kubernetes.io/managed-by"
COMPONENT = "app.kubernetes.io/component"
"""On objects the operator keeps for itself, e.g. `dag-version` ConfigMaps."""
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
CALLBACK = "kairflow.io/callback"
"""On callback pods: the label (kind, e.g. onFailure) and the annotation."""
CALLBACK_FOR = "kairflow.io/callback-for"
"""Annotation on callback pods: the task instance key, empty for the DAG's own."""
