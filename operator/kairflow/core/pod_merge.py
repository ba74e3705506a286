"""A simplified strategic merge of partial Pod manifests (plain camelCase dicts).

Kubernetes' strategic merge patch merges some lists item by item on a key (its
patchMergeKey) instead of replacing them; `merge_pod` does the same for the lists
that matter in a pod. Used to lay the operator's pod over a task's podTemplate, and
useful to combine a DAG's default podTemplate with a task's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["MERGE_KEYS", "merge_pod"]

MERGE_KEYS: Mapping[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
}
"""Lists merged item by item on this key (Kubernetes' patchMergeKey); any other list
is replaced as a whole."""


def merge_pod(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`overlay` merged onto `base`, like a simplified strategic merge patch.

    - Mappings merge key by key, recursively; `overlay` wins on scalars. A `None`
      value in `overlay` deletes the key.
    - Lists named in `MERGE_KEYS` (containers and initContainers by name, env by
      name, volumes by name, volumeMounts by mountPath, ports by containerPort,
      imagePullSecrets by name...) merge item by item: an overlay item with the key
      of a base item is merged into it in place, other overlay items are appended.
    - Any other list (command, args, tolerations, envFrom...) is replaced.

    Neither input is modified; the result shares no mutable data with them. Also
    useful to combine a DAG's default podTemplate with a task's.
    """
    return _merge_maps(base, overlay)


def _merge_maps(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge_maps(out[key], value)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_lists(out[key], value, MERGE_KEYS[key])
        else:
            out[key] = _without_nulls(value)
    return out


def _merge_lists(base: list[Any], overlay: list[Any], key: str) -> list[Any]:
    out = copy.deepcopy(base)
    index = {
        item[key]: i
        for i, item in enumerate(out)
        if isinstance(item, Mapping) and item.get(key) is not None
    }
    for item in overlay:
        where = index.get(item.get(key)) if isinstance(item, Mapping) else None
        if where is None:
            if isinstance(item, Mapping) and item.get(key) is not None:
                index[item[key]] = len(out)
            out.append(_without_nulls(item))
        else:
            out[where] = _merge_maps(out[where], item)
    return out


def _without_nulls(value: Any) -> Any:
    """A deep copy of an overlay value with `None` entries of mappings removed (in a
    merge patch, null means "absent")."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return copy.deepcopy(value)
