"""The operator's view of the cluster, fed by watch events (an informer cache).

Bodies are stored as plain dicts. A status this operator just wrote is stored
from the write's response, so the next sync never sees an older copy than its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]  # (namespace, name)
Body = dict[str, Any]


def _version(body: Mapping[str, Any]) -> int:
    # etcd-backed apiservers use increasing integers; treat anything else as newest.
    try:
        return int(body.get("metadata", {}).get("resourceVersion", "0"))
    except ValueError:
        return 1 << 62


def key_of(body: Mapping[str, Any]) -> Key:
    meta = body["metadata"]
    return str(meta.get("namespace")), str(meta["name"])


@dataclass
class Cache:
    dags: dict[Key, Body] = field(default_factory=dict)
    runs: dict[Key, Body] = field(default_factory=dict)
    backfills: dict[Key, Body] = field(default_factory=dict)
    runs_by_dag: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    pods_by_run: dict[Key, dict[str, Body]] = field(default_factory=lambda: defaultdict(dict))

    @staticmethod
    def _put(store: dict[Key, Body], body: Body) -> bool:
        """Store `body` unless an equal or newer version is there; True when stored."""
        key = key_of(body)
        current = store.get(key)
        if current is not None and _version(current) >= _version(body):
            return False
        store[key] = body
        return True

    def put_dag(self, body: Body) -> bool:
        return self._put(self.dags, body)

    def put_run(self, body: Body) -> bool:
        stored = self._put(self.runs, body)
        namespace, name = key_of(body)
        dag = (body.get("spec") or {}).get("dagName")
        if dag:
            self.runs_by_dag[(namespace, dag)].add(name)
        return stored

    def put_backfill(self, body: Body) -> bool:
        return self._put(self.backfills, body)

    def forget_run(self, key: Key) -> None:
        body = self.runs.pop(key, None)
        self.pods_by_run.pop(key, None)
        if body is not None:
            dag = (body.get("spec") or {}).get("dagName")
            self.runs_by_dag.get((key[0], str(dag)), set()).discard(key[1])

    def put_pod(self, run: Key, body: Body) -> None:
        self.pods_by_run[run][body["metadata"]["name"]] = body

    def forget_pod(self, run: Key, name: str) -> None:
        pods = self.pods_by_run.get(run)
        if pods is not None:
            pods.pop(name, None)

    def runs_of(self, dag: Key) -> Iterator[Body]:
        for name in sorted(self.runs_by_dag.get(dag, ())):
            body = self.runs.get((dag[0], name))
            if body is not None:
                yield body

    def pods_of(self, run: Key) -> list[Body]:
        return list(self.pods_by_run.get(run, {}).values())


def run_owner(pod: Mapping[str, Any]) -> str | None:
    """The DagRun a pod belongs to, from its controller owner reference."""
    for ref in pod.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == "DagRun":
            return str(ref["name"])
    return None


BACKFILL = "kairflow.io/backfill"


def backfill_of(run: Mapping[str, Any]) -> str | None:
    """The Backfill a DagRun belongs to: the annotation has its full name; the label
    (for selectors) is hashed when the name is longer than a label value may be."""
    meta = run.get("metadata", {})
    name = (meta.get("annotations") or {}).get(BACKFILL) or (meta.get("labels") or {}).get(BACKFILL)
    return str(name) if name else None
