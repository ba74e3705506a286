"""CustomResourceDefinitions generated from the pydantic models (one source of truth).

pydantic emits JSON Schema 2020-12; the apiserver wants a *structural* OpenAPI v3.0
schema. `to_structural` bridges the two: $refs are inlined, Optional[X] becomes X,
titles and defaults go (the core applies defaults, keeping stored objects compact),
and free-form values become `x-kubernetes-preserve-unknown-fields`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from kairflow.api.asset import Asset, AssetSpec, AssetStatus
from kairflow.api.backfill import Backfill, BackfillSpec, BackfillStatus
from kairflow.api.common import GROUP, VERSION, WireModel
from kairflow.api.dag import CRD_DEFAULT_KEY, DAG, DAGSpec, DAGStatus
from kairflow.api.dagrun import DagRun, DagRunSpec, DagRunStatus
from kairflow.api.peering import peering_crd_files
from kairflow.api.pool import Pool, PoolSpec, PoolStatus
from kairflow.api.task_instance_slice import (
    TaskInstanceSlice,
    TaskInstanceSliceSpec,
    TaskInstanceSliceStatus,
)

Schema = dict[str, Any]
# Most defaults live in the core (stored objects stay compact); a field marked with
# this key gets an apiserver default, for the few that printer columns must show.
CRD_DEFAULT = CRD_DEFAULT_KEY
_DROP = {"title", "default", "$defs", "examples"}


@dataclass(frozen=True)
class PrinterColumn:
    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    priority: int = 0

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "jsonPath": self.json_path}
        if self.description:
            out["description"] = self.description
        if self.priority:
            out["priority"] = self.priority
        return out


@dataclass(frozen=True)
class Brief:
    """A part of a schema whose fields are described in full elsewhere in it: its own
    description stays (with where to read the rest), its fields' go. The DAG's callback
    schema is inlined 14 times and its task settings 3 times (structural schemas have
    no $ref); described once each, the DAG CRD is 50 KB of JSON instead of 78 KB, well
    under the 256 KiB that client-side `kubectl apply` keeps in an annotation. Paths
    are `kubectl explain`'s (`spec.groups.defaults`: list items are implied)."""

    path: str
    described_at: str


@dataclass(frozen=True)
class CRDInfo:
    kind: str
    plural: str
    singular: str
    short_names: list[str]
    description: str
    spec: type[WireModel]
    status: type[WireModel]
    columns: list[PrinterColumn] = field(default_factory=list)
    briefs: list[Brief] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.plural}.{GROUP}"


_AGE = PrinterColumn("Age", ".metadata.creationTimestamp", "date")

RESOURCES: list[CRDInfo] = [
    CRDInfo(
        kind=DAG.KIND,
        plural=DAG.PLURAL,
        singular="dag",
        short_names=["dg"],
        description="An Airflow DAG: tasks, their dependencies and a schedule.",
        spec=DAGSpec,
        status=DAGStatus,
        columns=[
            PrinterColumn("Schedule", ".spec.schedule", description="When runs are created."),
            PrinterColumn("Timezone", ".spec.timezone", priority=1),
            PrinterColumn("Paused", ".spec.paused", "boolean"),
            PrinterColumn("Ready", '.status.conditions[?(@.type=="Ready")].status'),
            PrinterColumn("Last Run", ".status.lastRun.state", description="Newest run's state."),
            PrinterColumn("Last Logical Date", ".status.lastRun.logicalDate", priority=1),
            PrinterColumn("Next Run", ".status.nextRun.runAfter", description="Next run after."),
            PrinterColumn("Active", ".status.activeRuns", "integer", priority=1),
            _AGE,
        ],
        briefs=[
            Brief("spec.defaults", described_at="spec.tasks"),
            Brief("spec.groups.defaults", described_at="spec.tasks"),
            *(
                Brief(f"spec.tasks.{name}", described_at="spec.onFailure")
                for name in ("onExecute", "onSuccess", "onFailure", "onRetry")
            ),
            Brief("spec.onSuccess", described_at="spec.onFailure"),
            Brief("spec.deadlines.callback", described_at="spec.onFailure"),
        ],
    ),
    CRDInfo(
        kind=DagRun.KIND,
        plural=DagRun.PLURAL,
        singular="dagrun",
        short_names=["dr"],
        description="One run of a DAG for one logical date, with its task instances.",
        spec=DagRunSpec,
        status=DagRunStatus,
        columns=[
            PrinterColumn("DAG", ".spec.dagName"),
            PrinterColumn("Type", ".spec.runType", priority=1),
            PrinterColumn("State", ".status.state"),
            PrinterColumn("Progress", ".status.progress", description="Finished/total tasks."),
            PrinterColumn("Logical Date", ".status.logicalDate"),
            PrinterColumn("Start", ".status.startDate", "date"),
            PrinterColumn("Duration", ".status.duration"),
            _AGE,
        ],
    ),
    CRDInfo(
        kind=Backfill.KIND,
        plural=Backfill.PLURAL,
        singular="backfill",
        short_names=["bf"],
        description="Runs a DAG over a range of past logical dates.",
        spec=BackfillSpec,
        status=BackfillStatus,
        columns=[
            PrinterColumn("DAG", ".spec.dagName"),
            PrinterColumn("From", ".spec.from"),
            PrinterColumn("To", ".spec.to"),
            PrinterColumn("Reprocess", ".spec.reprocess", priority=1),
            PrinterColumn("State", ".status.state"),
            PrinterColumn("Progress", ".status.progress"),
            PrinterColumn("Next", ".status.nextLogicalDate", priority=1),
            _AGE,
        ],
    ),
    CRDInfo(
        kind=Pool.KIND,
        plural=Pool.PLURAL,
        singular="pool",
        short_names=["pl"],
        description="An Airflow pool: task slots shared by the DAGs of its namespace.",
        spec=PoolSpec,
        status=PoolStatus,
        columns=[
            PrinterColumn("Slots", ".spec.slots", "integer"),
            PrinterColumn("Running", ".status.running", "integer", "Holding slots."),
            PrinterColumn("Queued", ".status.queued", "integer", "Waiting for a slot."),
            PrinterColumn("Open", ".status.openSlots", "integer"),
            PrinterColumn("Occupied", ".status.occupiedSlots", "integer", priority=1),
            PrinterColumn("Description", ".spec.description", priority=1),
            _AGE,
        ],
    ),
    CRDInfo(
        kind=Asset.KIND,
        plural=Asset.PLURAL,
        singular="asset",
        short_names=["as"],
        description="An Airflow asset (dataset): a URI and its recent asset events.",
        spec=AssetSpec,
        status=AssetStatus,
        columns=[
            PrinterColumn("URI", ".spec.uri"),
            PrinterColumn("Last Event", ".status.lastEventTime", "date"),
            PrinterColumn("Events", ".status.eventCount", "integer", "Events recorded in all."),
            PrinterColumn("Description", ".spec.description", priority=1),
            _AGE,
        ],
    ),
    CRDInfo(
        kind=TaskInstanceSlice.KIND,
        plural=TaskInstanceSlice.PLURAL,
        singular="taskinstanceslice",
        short_names=["tis"],
        description="Part of a big DagRun's task instances (written by the operator).",
        spec=TaskInstanceSliceSpec,
        status=TaskInstanceSliceStatus,
        columns=[
            PrinterColumn("DagRun", ".spec.dagRun"),
            PrinterColumn("Index", ".spec.index", "integer"),
            PrinterColumn("Slices", ".spec.slices", "integer"),
            # A sealed block of a big mapped task (`core.sealed_blocks`).
            PrinterColumn("Task", ".spec.task", "string"),
            PrinterColumn("Block", ".spec.block", "integer"),
            _AGE,
        ],
    ),
]


def _resolve(node: Any, defs: dict[str, Schema]) -> Any:
    """Inline $refs recursively (structural schemas may not use them)."""
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = _resolve(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**target, **_resolve(rest, defs)}
    return {k: _resolve(v, defs) for k, v in node.items()}


def _structural(node: Any) -> Any:
    if isinstance(node, list):
        return [_structural(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        # Optional[X]: the field may be omitted; `null` itself is not a value we store.
        rest = [v for v in variants if v != {"type": "null"}]
        del node["anyOf"]
        if len(rest) == 1:
            node = {**rest[0], **node}
        else:
            node["anyOf"] = rest
    out: Schema = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "additionalProperties" and isinstance(value, bool):
            continue  # structural schemas forbid false with properties; true is the default
        if key == "properties":
            out[key] = {name: _structural(sub) for name, sub in value.items()}
        elif key == CRD_DEFAULT:
            out["default"] = value
        elif key == "exclusiveMinimum" and not isinstance(value, bool):
            out["minimum"], out["exclusiveMinimum"] = value, True
        elif key == "exclusiveMaximum" and not isinstance(value, bool):
            out["maximum"], out["exclusiveMaximum"] = value, True
        else:
            out[key] = _structural(value)
    if out.get("x-kubernetes-preserve-unknown-fields"):
        out.pop("additionalProperties", None)
    elif not ({"type", "anyOf", "not", "required"} & out.keys()):
        # `Any`: any JSON value at all.
        out["x-kubernetes-preserve-unknown-fields"] = True
    if out.get("type") == "array" and "items" not in out:
        out["items"] = {"x-kubernetes-preserve-unknown-fields": True}
    return out


def to_structural(model: type[WireModel]) -> Schema:
    """The structural OpenAPI v3 schema of a wire model."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    resolved = _resolve(raw, raw.get("$defs", {}))
    schema: Schema = _structural(resolved)
    return schema


_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMAS = ("anyOf", "allOf", "oneOf")


def _undescribed(schema: Schema) -> Schema:
    """`schema` without a description anywhere (fields named `description` stay)."""
    out = {key: value for key, value in schema.items() if key != "description"}
    if "properties" in out:
        out["properties"] = {name: _undescribed(sub) for name, sub in out["properties"].items()}
    for key in _SUBSCHEMA:
        if isinstance(out.get(key), dict):
            out[key] = _undescribed(out[key])
    for key in _SUBSCHEMAS:
        if key in out:
            out[key] = [_undescribed(sub) for sub in out[key]]
    return out


def schema_at(schema: Schema, path: str) -> Schema:
    """The schema of a field by its `kubectl explain` path (list items implied)."""
    node = schema
    for name in path.split("."):
        if node.get("type") == "array":
            node = node["items"]
        node = node["properties"][name]
    return node


def _brief(schema: Schema, kind: str, brief: Brief) -> None:
    node = schema_at(schema, brief.path)
    full = brief.described_at
    where = f"Fields as in {full} (`kubectl explain {kind.lower()}.{full}`)."
    described = f"{node['description']} {where}" if node.get("description") else where
    replacement = {**_undescribed(node), "description": described}
    node.clear()
    node.update(replacement)


def crd_manifest(info: CRDInfo) -> dict[str, Any]:
    """The CustomResourceDefinition (apiextensions.k8s.io/v1) for one resource."""
    schema: Schema = {
        "type": "object",
        "description": info.description,
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": to_structural(info.spec),
            "status": to_structural(info.status),
        },
        "required": ["spec"],
    }
    for brief in info.briefs:
        _brief(schema, info.kind, brief)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": info.name, "labels": {"app.kubernetes.io/part-of": "kairflow"}},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": info.short_names,
                "categories": ["kairflow"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [c.to_wire() for c in info.columns],
                }
            ],
        },
    }


def render_crd(info: CRDInfo) -> str:
    header = "# Generated by `kairflow crds --write` from kairflow.api; do not edit.\n"
    return header + yaml.safe_dump(crd_manifest(info), sort_keys=False, width=100)


def crd_files() -> dict[str, str]:
    """File name -> YAML text for every CRD, as checked in under crds/: ours, and
    kopf's peering CRDs for active/standby replicas (see kairflow.api.peering)."""
    return {
        **{f"{info.name}.yaml": render_crd(info) for info in RESOURCES},
        **peering_crd_files(),
    }
