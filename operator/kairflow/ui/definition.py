"""Definitions as the Code tab shows them: YAML with scripts as literal blocks (so a
changed script line is one changed diff line), a DAG's manifest without its status or
kubectl's last-applied copy, and a run's snapshot diffed against its DAG's spec now."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from kairflow.api.dag import DAGSpec

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# What a reader of a definition wants of its metadata (the rest is the API server's).
_DEFINITION_METADATA = ("name", "namespace", "labels", "annotations")


class _BlockDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML still falls back to a quoted style when a block cannot hold the text.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def yaml_text(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_BlockDumper, sort_keys=False, default_flow_style=False, width=100
    )


def without_managed_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k != "managedFields"}
    return {**body, "metadata": meta}


def definition(body: Mapping[str, Any]) -> dict[str, Any]:
    """The object as its author wrote it: apiVersion, kind, the metadata they set, spec."""
    meta = body.get("metadata") or {}
    kept: dict[str, Any] = {k: meta[k] for k in _DEFINITION_METADATA if meta.get(k)}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != _LAST_APPLIED}
    if annotations:
        kept["annotations"] = annotations
    else:
        kept.pop("annotations", None)
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": kept,
        "spec": body.get("spec") or {},
    }


def as_snapshot(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`spec` in the form a run's snapshot is written (the model's compact wire form:
    defaults left out, dates normalised), so that only real changes differ."""
    try:
        return DAGSpec.model_validate(spec).to_wire()
    except ValidationError:
        return dict(spec)


def spec_diff(
    ran: Mapping[str, Any] | None, current: Mapping[str, Any] | None, run: str, dag: str
) -> dict[str, Any]:
    """{ran, current, diff, dagExists}: the spec the run ran (its snapshot) and the DAG's
    spec now, both in the snapshot's form, as YAML, and the unified diff between them."""
    ran_text = yaml_text(as_snapshot(ran)) if ran else ""
    current_text = yaml_text(as_snapshot(current)) if current else ""
    diff = "".join(
        difflib.unified_diff(
            ran_text.splitlines(keepends=True),
            current_text.splitlines(keepends=True),
            fromfile=f"{run} (ran with)",
            tofile=f"dag/{dag} (now)",
        )
    )
    return {
        "ran": ran_text,
        "current": current_text,
        "diff": diff,
        "dagExists": current is not None,
    }
