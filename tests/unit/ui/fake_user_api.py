"""A fake of `kairflow.ui.kube.UserApi`: the user's cluster as objects in memory, RBAC
as refused "verb kind" pairs (answered in the API server's own words), a record of
every call and write, watches fed by the test, pods and their logs. No sockets, no
sleeps."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from kairflow.ui.kube import KINDS, ApiError

NS = "team"
USER = "alice"
# The Status an API server sends on a watch from a version it no longer keeps.
EXPIRED: dict[str, Any] = {
    "kind": "Status",
    "code": 410,
    "reason": "Expired",
    "message": "too old resource version: 1",
}

WatchItem = tuple[str, dict[str, Any]] | ApiError | None
"""What a test puts on a watch: an event as the API server sends it (an "ERROR" event's
object is a Status), an error to raise, or None (the API server ended the watch)."""


def forbidden(verb: str, kind: str) -> ApiError:
    """RBAC's refusal, as the API server words it."""
    message = (
        f'{kind}.kairflow.io is forbidden: User "{USER}" cannot {verb} resource "{kind}" '
        f'in API group "kairflow.io" in the namespace "{NS}"'
    )
    return ApiError(403, message, "Forbidden")


def refusing(pairs: Iterable[str] | None) -> dict[str, ApiError]:
    """RBAC refuses each "verb kind" pair (for `FakeUserApi.refuse`)."""
    return {pair: forbidden(*pair.split(" ", 1)) for pair in pairs or ()}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, as the API server applies `application/merge-patch+json`."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _selected(body: dict[str, Any], label_selector: str | None, field_selector: str | None) -> bool:
    """Equality label selectors ("a=b,c=d") and the metadata.name field selector (the
    only field custom resources are watched by here)."""
    meta = body.get("metadata") or {}
    labels = meta.get("labels") or {}
    wanted = dict(p.split("=", 1) for p in label_selector.split(",")) if label_selector else {}
    if not all(labels.get(key) == value for key, value in wanted.items()):
        return False
    if field_selector and field_selector.startswith("metadata.name="):
        return bool(meta.get("name") == field_selector.split("=", 1)[1])
    return True


@dataclass
class FakeUserApi:
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in (*KINDS, "taskinstanceslices")}
    )
    """kind → name → object, as stored (every answer is a copy)."""
    version: int = 100
    refuse: dict[str, ApiError] = field(default_factory=dict)
    """"create dagruns" → the error that call raises (as RBAC would); see `refusing`."""
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    writes: list[tuple[str, str, str, Any]] = field(default_factory=list)
    """(verb, kind, name, body sent) of each write the API server accepted."""
    watches: dict[str, asyncio.Queue[WatchItem]] = field(default_factory=dict)
    pods: dict[str, list[Any]] = field(default_factory=dict)
    """pod name → what successive reads return (the last one from then on)."""
    logs: dict[str, list[bytes | ApiError]] = field(default_factory=dict)
    """pod name → its log's chunks; an ApiError breaks the stream there."""
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    """ConfigMap name → its binaryData (big XComs, DAG versions)."""
    config_map_annotations: dict[str, dict[str, str]] = field(default_factory=dict)
    closed: bool = False

    def add(self, kind: str, *bodies: dict[str, Any]) -> None:
        for body in bodies:
            self._store(kind, body)

    def queue(self, kind: str) -> asyncio.Queue[WatchItem]:
        return self.watches.setdefault(kind, asyncio.Queue())

    def _store(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        stored = copy.deepcopy(body)
        stored.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        self.objects[kind][stored["metadata"]["name"]] = stored
        return copy.deepcopy(stored)

    def _stored(self, kind: str, name: str) -> dict[str, Any]:
        found = self.objects[kind].get(name)
        if found is None:
            raise ApiError(404, f'{kind}.kairflow.io "{name}" not found', "NotFound")
        return found

    def _check(self, verb: str, kind: str, *details: Any) -> None:
        self.calls.append((verb, kind, *details))
        error = self.refuse.get(f"{verb} {kind}")
        if error is not None:
            raise error

    async def list_objects(
        self,
        kind: str,
        namespace: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> dict[str, Any]:
        self._check("list", kind, label_selector, field_selector)
        items = [
            copy.deepcopy(body)
            for body in self.objects[kind].values()
            if _selected(body, label_selector, field_selector)
        ]
        return {"metadata": {"resourceVersion": str(self.version)}, "items": items}

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self._check("get", kind)
        return copy.deepcopy(self._stored(kind, name))

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        self._check("create", kind)
        name = body["metadata"]["name"]
        if name in self.objects[kind]:
            raise ApiError(409, f'{kind}.kairflow.io "{name}" already exists', "AlreadyExists")
        self.writes.append(("create", kind, name, body))
        return self._store(kind, body)

    async def patch(
        self, kind: str, namespace: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        self._check("patch", kind)
        found = self._stored(kind, name)
        self.writes.append(("patch", kind, name, body))
        return self._store(kind, merge_patch(found, body))

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        self._check("delete", kind)
        self._stored(kind, name)
        self.writes.append(("delete", kind, name, None))
        del self.objects[kind][name]

    async def namespaces(self) -> list[str]:
        self._check("list", "namespaces")
        return ["default", "etl"]

    async def events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        self._check("list", "events")
        return []

    async def watch(
        self,
        kind: str,
        namespace: str,
        resource_version: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """As `UserApi.watch`: (event type, object) of the selected objects until the
        API server ends the watch; an "ERROR" event (410 Gone when `resource_version`
        is too old) is raised as ApiError, never yielded."""
        self._check("watch", kind, resource_version)
        queue = self.queue(kind)
        while True:
            item = await queue.get()
            if item is None:
                return
            if isinstance(item, ApiError):
                raise item
            event_type, body = item
            if event_type == "ERROR":  # a Status: the client raises it, worded as here
                raise ApiError(int(body["code"]), f"{body.get('reason')}: {body.get('message')}")
            if _selected(body, label_selector, field_selector):
                yield event_type, body

    async def read_pod(self, namespace: str, pod: str) -> Any:
        self._check("get", "pods", pod)
        reads = self.pods.get(pod)
        if not reads:
            raise ApiError(404, f'pods "{pod}" not found', "NotFound")
        return reads.pop(0) if len(reads) > 1 else reads[0]

    async def read_config_map(self, namespace: str, name: str) -> Any:
        self._check("get", "configmaps", name)
        found = self.config_maps.get(name)
        if found is None:
            raise ApiError(404, f'configmaps "{name}" not found', "NotFound")
        annotations = self.config_map_annotations.get(name)
        return SimpleNamespace(
            binary_data=found, metadata=SimpleNamespace(name=name, annotations=annotations)
        )

    async def pod_log(
        self, namespace: str, pod: str, *, follow: bool, container: str | None = None
    ) -> AsyncIterator[bytes]:
        self._check("log", pod, follow)
        if pod not in self.logs:
            raise ApiError(404, f'pods "{pod}" not found', "NotFound")
        for chunk in self.logs[pod]:
            if isinstance(chunk, ApiError):
                raise chunk
            yield chunk

    async def close(self) -> None:
        self.closed = True


def writes_of(api: FakeUserApi, verbs: Iterable[str] = ("create", "patch", "delete")) -> list[Any]:
    return [w for w in api.writes if w[0] in verbs]


def dag(name: str = "etl", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"tasks": [{"name": "t", "bash": "true"}], **spec},
    }


def dagrun(
    name: str,
    dag_name: str = "etl",
    *,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"kairflow.io/dag": dag_name, **(labels or {})},
            "annotations": annotations or {},
        },
        "spec": {"dagName": dag_name, **(spec or {})},
        "status": status or {},
    }
