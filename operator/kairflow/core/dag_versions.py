"""DAG versions: the DAG spec a run runs, stored once per version of the spec.

A run must keep running what it started with when its DAG is edited, and show what
it ran (Airflow 3 calls this DAG versioning). Copying the spec into every run made
each run as big as its DAG (a 10,000-task DAG: ~600 KB per run, 1,000 runs: 600 MB
in etcd and in every watcher's memory). So a version is stored once, in an immutable
ConfigMap owned by the DAG, named after its DAG and a hash of the spec, and each run
refers to it by name (`status.dagVersion`).

The name is the lock, like a run's or a pod's: runs starting on the same spec in any
process reach the same ConfigMap, and creating one that exists means it is there.
The spec is kept as compact JSON, gzipped (a 10,000-task spec shrinks about 8-fold),
with its SHA-256 in an annotation so a damaged or foreign ConfigMap is refused.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kairflow.api.dag import DAGSpec
from kairflow.core import labels
from kairflow.core.naming import DNS_SUBDOMAIN_MAX, label_value, stable_hash

SPEC_KEY = "spec.json.gz"
"""The key of a version's ConfigMap (binaryData): the gzip of the spec's JSON."""
SHA256 = "kairflow.io/sha256"
COMPONENT = "dag-version"
MAX_SPEC_BYTES = 16 << 20
"""Never inflate more than this: a DAG object is at most ~1.5 MiB of JSON in etcd."""
_SUFFIX = "-dagv-"
_HASH_LEN = 10


class VersionError(ValueError):
    """A version's ConfigMap that cannot be read as the spec it names."""


@dataclass(frozen=True)
class DagVersion:
    """One version of a DAG's spec: its ConfigMap's name and the spec's JSON."""

    name: str
    raw: bytes
    """The spec's compact JSON, as hashed."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def spec_json(spec: DAGSpec) -> bytes:
    """The spec's canonical JSON: the same spec always gives the same bytes."""
    return json.dumps(
        spec.to_wire(), separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode()


def version_name(dag_name: str, raw: bytes) -> str:
    """`<dag>-dagv-<hash of the spec>`, cut to a valid ConfigMap name."""
    digest = stable_hash(hashlib.sha256(raw).hexdigest(), length=_HASH_LEN)
    head = dag_name[: DNS_SUBDOMAIN_MAX - len(_SUFFIX) - _HASH_LEN].rstrip(".-")
    return f"{head}{_SUFFIX}{digest}"


def dag_version(dag_name: str, spec: DAGSpec) -> DagVersion:
    raw = spec_json(spec)
    return DagVersion(version_name(dag_name, raw), raw)


def config_map(
    version: DagVersion, namespace: str, dag_name: str, owner: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The version's ConfigMap: immutable, owned by its DAG (deleted with it)."""
    meta: dict[str, Any] = {
        "name": version.name,
        "namespace": namespace,
        "labels": {
            labels.MANAGED_BY: "kairflow",
            labels.COMPONENT: COMPONENT,
            labels.DAG: label_value(dag_name),
        },
        "annotations": {labels.DAG: dag_name, SHA256: version.sha256},
    }
    if owner is not None:
        meta["ownerReferences"] = [dict(owner)]
    packed = gzip.compress(version.raw, compresslevel=6, mtime=0)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "immutable": True,
        "binaryData": {SPEC_KEY: base64.b64encode(packed).decode()},
    }


def read_config_map(body: Mapping[str, Any]) -> dict[str, Any]:
    """The spec (wire form) a version's ConfigMap holds, checked against its hash.
    CPU work on up to a few MiB: callers on an event loop run it in a thread."""
    meta = body.get("metadata") or {}
    name = meta.get("name")
    try:
        packed = base64.b64decode((body.get("binaryData") or {})[SPEC_KEY], validate=True)
        raw = zlib.decompressobj(wbits=31).decompress(packed, MAX_SPEC_BYTES)
    except (KeyError, binascii.Error, zlib.error) as exc:
        raise VersionError(f"ConfigMap {name} holds no readable DAG spec ({exc})") from None
    expected = (meta.get("annotations") or {}).get(SHA256)
    if hashlib.sha256(raw).hexdigest() != expected:
        raise VersionError(f"ConfigMap {name}: the DAG spec does not match its checksum")
    try:
        spec = json.loads(raw)
    except ValueError as exc:
        raise VersionError(f"ConfigMap {name}: the DAG spec is not JSON ({exc})") from None
    if not isinstance(spec, dict):
        raise VersionError(f"ConfigMap {name}: the DAG spec is not an object")
    return spec
