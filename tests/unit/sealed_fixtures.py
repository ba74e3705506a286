"""Sealed blocks as the operator writes them, for the readers' tests (requests, CLI,
UI): mapped task `m`'s own record naming its sealed blocks, its instances, and a
block's TaskInstanceSlice."""

from __future__ import annotations

from typing import Any

from kairflow.core.sealed_blocks import block_name

SIZE = 4
"""Instances per sealed block."""


def m(index: int) -> str:
    return f"m[{index}]"


def mi(index: int, state: str = "success") -> dict[str, Any]:
    return {"state": state, "tryNumber": 1, "mapIndex": index}


def instances(indexes: range, state: str = "success") -> dict[str, Any]:
    return {m(i): mi(i, state) for i in indexes}


def record(*blocks: int, length: int = 8, created: int = 8) -> dict[str, Any]:
    """Task m's own record: `length` instances, `created` of them so far, `blocks`
    sealed (all successes)."""
    return {
        "state": "success",
        "tryNumber": 0,
        "mapLength": length,
        "mapNext": created,
        "mapBlock": SIZE,
        "mapSealed": {str(b): f"success:{SIZE}" for b in blocks},
    }


def block(
    run: str,
    number: int,
    namespace: str,
    state: str = "success",
    held: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Block `number` of task m in `run`: its instances (all in `state`), or `held`."""
    first = number * SIZE
    if held is None:
        held = instances(range(first, first + SIZE), state)
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "TaskInstanceSlice",
        "metadata": {
            "name": block_name(run, "m", number),
            "namespace": namespace,
            "labels": {"kairflow.io/dag-run": run, "kairflow.io/dag": "etl"},
        },
        "spec": {"dagRun": run, "task": "m", "block": number},
        "status": {
            "taskInstances": instances(range(first, first + SIZE), state) if held is None else held
        },
    }
