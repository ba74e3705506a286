"""The DAG spec of each run, for the CLI and the web UI: read from its DAG version.

A run names the stored version of the DAG spec it runs (`status.dagVersion`, see
`core.dag_versions`); what shows a run (its tree, graph, grid rows, clear and mark
previews) reads the spec as `status.dagSpec`, as runs used to carry it inline. So a
run is given its spec here, in memory only, once per version: versions never change,
and many runs share one.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from kairflow.core.dag_versions import VersionError, read_config_map

log = logging.getLogger(__name__)
VersionKey = tuple[str, str]  # (namespace, ConfigMap name)


def config_map_body(found: Any) -> dict[str, Any]:
    """What `read_config_map` reads, from a client's V1ConfigMap (either client)."""
    meta = found.metadata
    return {
        "metadata": {"name": meta.name, "annotations": dict(meta.annotations or {})},
        "binaryData": dict(found.binary_data or {}),
    }


def version_of(run: Mapping[str, Any]) -> VersionKey | None:
    """The version a run names and does not carry inline yet."""
    status = run.get("status") or {}
    version = status.get("dagVersion")
    if not version or status.get("dagSpec"):
        return None
    return str((run.get("metadata") or {}).get("namespace") or ""), str(version)


class VersionSpecs:
    """Specs by version, kept for the life of the process (bounded)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._specs: OrderedDict[VersionKey, dict[str, Any] | None] = OrderedDict()

    def missing(self, runs: Iterable[Mapping[str, Any]]) -> list[VersionKey]:
        """The versions these runs need that are not read yet, each once."""
        keys = {key for run in runs if (key := version_of(run)) is not None}
        return sorted(key for key in keys if key not in self._specs)

    def add(self, key: VersionKey, body: Mapping[str, Any] | None) -> None:
        """The version's ConfigMap as read (None: not found). A version that cannot be
        read leaves its runs without a spec: they show as runs whose DAG is unknown."""
        spec: dict[str, Any] | None = None
        if body is not None:
            try:
                spec = read_config_map(body)
            except VersionError as exc:
                log.warning("%s", exc)
        else:
            log.warning("DAG version %s/%s not found", *key)
        self._specs[key] = spec
        while len(self._specs) > self._size:
            self._specs.popitem(last=False)

    def given(self, run: dict[str, Any]) -> dict[str, Any]:
        """`run` with its version's spec as `status.dagSpec` (when it has been read)."""
        key = version_of(run)
        spec = self._specs.get(key) if key is not None else None
        if spec is None:
            return run
        return {**run, "status": {**run["status"], "dagSpec": spec}}
