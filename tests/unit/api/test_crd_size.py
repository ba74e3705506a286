"""The CRDs stay small enough for every way users install them, and the DAG CRD's
fields described once (`Brief`) lose no description."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from kairflow.api.crd import RESOURCES, Brief, CRDInfo, crd_files, crd_manifest, schema_at

# Client-side `kubectl apply -f crds/` keeps each CRD's compact JSON in its
# last-applied annotation, limited to 256 KiB. The DAG CRD is 49 KB: a budget of a
# quarter of the limit leaves room to grow and catches a new copy of a big schema
# (add a Brief for it) long before users would.
ANNOTATION_LIMIT = 256 * 1024
BUDGET = ANNOTATION_LIMIT // 4


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


@pytest.mark.parametrize("name", sorted(crd_files()))
def test_every_crd_is_within_its_budget_for_client_side_apply(name: str) -> None:
    assert compact(yaml.safe_load(crd_files()[name])) < BUDGET


def descriptions(node: Any) -> list[str]:
    """Every description of a schema (not the values of fields named `description`)."""
    if isinstance(node, list):
        return [d for item in node for d in descriptions(item)]
    if not isinstance(node, dict):
        return []
    found = [node["description"]] if isinstance(node.get("description"), str) else []
    for key, value in node.items():
        if key == "properties":
            found += [d for sub in value.values() for d in descriptions(sub)]
        elif key != "description":
            found += descriptions(value)
    return found


def schema(info: CRDInfo) -> dict[str, Any]:
    found: dict[str, Any] = crd_manifest(info)["spec"]["versions"][0]["schema"]
    return found["openAPIV3Schema"]


def test_a_brief_schema_loses_no_description() -> None:
    dag = RESOURCES[0]
    full = schema(CRDInfo(**{**vars(dag), "briefs": []}))
    kept = descriptions(schema(dag))
    lost = [d for d in set(descriptions(full)) if not any(k.startswith(d) for k in kept)]
    assert lost == []


@pytest.mark.parametrize(
    "brief", [b for info in RESOURCES for b in info.briefs], ids=lambda b: b.path
)
def test_a_brief_says_where_its_fields_are_described_in_full(brief: Brief) -> None:
    dag = schema(RESOURCES[0])
    shown = schema_at(dag, brief.path)
    assert shown["description"].endswith(f"(`kubectl explain dag.{brief.described_at}`).")
    assert descriptions({**shown, "description": None}) == []
    described_at = schema_at(dag, brief.described_at)
    assert len(descriptions(described_at)) > 5  # described there in full, not brief too
    assert not described_at["description"].endswith("`).")


def without_descriptions(node: Any) -> Any:
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (
            {name: without_descriptions(sub) for name, sub in value.items()}
            if key == "properties"
            else without_descriptions(value)
        )
        for key, value in node.items()
        if key != "description"
    }


def test_a_brief_keeps_every_validation_and_only_drops_descriptions() -> None:
    dag = RESOURCES[0]
    full, brief = schema(CRDInfo(**{**vars(dag), "briefs": []})), schema(dag)
    assert without_descriptions(brief) == without_descriptions(full)
    assert compact(brief) < compact(full) * 0.7
