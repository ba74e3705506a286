"""An in-memory fake of the controller's API layer (`kairflow.k8s.api.ClusterApi`).

It behaves like the API server where the controller depends on it: rising
resourceVersions, 409 on a stale status write, 404 on a missing object, "already
exists" on a second create, and it records every call. Changes are also kept as
watch events, for `ControllerHarness.deliver()` to feed to the informers as kopf
would.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubernetes_asyncio.client import ApiException

from kairflow.core.times import iso
from kairflow.k8s.writes import Conflict, NotFound, Rejected

Body = dict[str, Any]
ObjectKey = tuple[str, str, str]  # (plural, namespace, name)


@dataclass(frozen=True)
class Call:
    verb: str
    plural: str
    namespace: str
    name: str


@dataclass
class FakeCluster:
    clock: Callable[[], datetime]
    objects: dict[ObjectKey, Body] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    watch: list[tuple[str, str, Body]] = field(default_factory=list)
    """(plural, event type, body) in the order the changes happened."""
    reject_pods: dict[str, str] = field(default_factory=dict)
    """Pod name -> the message the API refuses it with (for good)."""
    reject_config_maps: dict[str, str] = field(default_factory=dict)
    """ConfigMap name -> the message the API refuses it with (for good)."""
    logs: dict[str, str] = field(default_factory=dict)
    """Pod name -> its container's log."""
    _versions: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _uids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- helpers for tests -----------------------------------------------------------
    def put(self, plural: str, body: Body) -> Body:
        """Create or replace an object as a user's `kubectl apply` would."""
        meta = body.setdefault("metadata", {})
        key = (plural, meta["namespace"], meta["name"])
        current = self.objects.get(key)
        if current is None:
            self._stamp(plural, body)
            meta["generation"] = 1
            self.watch.append((plural, "ADDED", copy.deepcopy(body)))
        else:
            meta.update({k: current["metadata"][k] for k in ("uid", "creationTimestamp")})
            meta["generation"] = current["metadata"].get("generation", 1) + (
                body.get("spec") != current.get("spec")
            )
            meta["resourceVersion"] = str(next(self._versions))
            body.setdefault("status", current.get("status", {}))
            self.watch.append((plural, "MODIFIED", copy.deepcopy(body)))
        self.objects[key] = copy.deepcopy(body)
        return copy.deepcopy(body)

    def pod(self, namespace: str, name: str) -> Body:
        return copy.deepcopy(self.objects[("pods", namespace, name)])

    def set_pod_status(self, namespace: str, name: str, status: Body) -> None:
        """What a kubelet does: write the pod's status."""
        body = self.objects[("pods", namespace, name)]
        body["status"] = status
        body["metadata"]["resourceVersion"] = str(next(self._versions))
        self.watch.append(("pods", "MODIFIED", copy.deepcopy(body)))

    def write_behind_the_watch(self, plural: str, namespace: str, name: str) -> None:
        """Someone else writes the object and the watch has not told us yet: our next
        write with the version we know gets a 409."""
        body = self.objects[(plural, namespace, name)]
        body["metadata"]["resourceVersion"] = str(next(self._versions))

    def names(self, plural: str, namespace: str) -> list[str]:
        return sorted(n for p, ns, n in self.objects if (p, ns) == (plural, namespace))

    def verbs(self, *verbs: str) -> list[tuple[str, str, str]]:
        """The calls made, as (verb, plural, name), optionally only of these verbs."""
        return [(c.verb, c.plural, c.name) for c in self.calls if not verbs or c.verb in verbs]

    def _stamp(self, plural: str, body: Body) -> None:
        meta = body["metadata"]
        meta["uid"] = f"uid-{next(self._uids)}"
        meta["creationTimestamp"] = iso(self.clock().replace(microsecond=0)).replace("+00:00", "Z")
        meta["resourceVersion"] = str(next(self._versions))

    def _record(self, verb: str, plural: str, namespace: str, name: str) -> None:
        self.calls.append(Call(verb, plural, namespace, name))

    # -- the ClusterApi protocol -----------------------------------------------------
    async def create(self, namespace: str, plural: str, body: Body) -> bool:
        name = body["metadata"]["name"]
        self._record("create", plural, namespace, name)
        if (plural, namespace, name) in self.objects:
            return False
        stored = copy.deepcopy(body)
        stored["metadata"]["namespace"] = namespace
        stored["metadata"]["generation"] = 1
        self._stamp(plural, stored)
        self.objects[(plural, namespace, name)] = stored
        self.watch.append((plural, "ADDED", copy.deepcopy(stored)))
        return True

    async def get(self, namespace: str, plural: str, name: str) -> Body | None:
        self._record("get", plural, namespace, name)
        found = self.objects.get((plural, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    async def delete(self, namespace: str, plural: str, name: str) -> None:
        self._record("delete", plural, namespace, name)
        gone = self.objects.pop((plural, namespace, name), None)
        if gone is not None:
            self.watch.append((plural, "DELETED", gone))

    async def replace_status(self, namespace: str, plural: str, body: Body) -> Body:
        name = body["metadata"]["name"]
        self._record("replace_status", plural, namespace, name)
        current = self.objects.get((plural, namespace, name))
        if current is None:
            raise NotFound(name)
        if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise Conflict(name)
        current["status"] = copy.deepcopy(body.get("status") or {})
        current["metadata"]["resourceVersion"] = str(next(self._versions))
        self.watch.append((plural, "MODIFIED", copy.deepcopy(current)))
        return copy.deepcopy(current)

    async def patch_spec(self, namespace: str, plural: str, name: str, patch: Body) -> Body:
        self._record("patch_spec", plural, namespace, name)
        current = self.objects.get((plural, namespace, name))
        if current is None:
            raise ApiException(status=404, reason="Not Found")
        before = copy.deepcopy(current.get("spec"))
        _merge(current, patch)
        if current.get("spec") != before:
            current["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        current["metadata"]["resourceVersion"] = str(next(self._versions))
        self.watch.append((plural, "MODIFIED", copy.deepcopy(current)))
        return copy.deepcopy(current)

    async def list_all(self, plural: str, namespaces: tuple[str, ...]) -> list[Body]:
        self._record("list", plural, ",".join(namespaces), "")
        return [
            copy.deepcopy(b)
            for (p, ns, _), b in sorted(self.objects.items())
            if p == plural and (not namespaces or ns in namespaces)
        ]

    async def create_pod(self, namespace: str, manifest: Body) -> bool:
        name = manifest["metadata"]["name"]
        if name in self.reject_pods:
            self._record("create", "pods", namespace, name)
            raise Rejected(self.reject_pods[name])
        created = await self.create(namespace, "pods", manifest)
        if created:
            self.objects[("pods", namespace, name)]["status"] = {"phase": "Pending"}
        return created

    async def delete_pod(self, namespace: str, name: str) -> None:
        await self.delete(namespace, "pods", name)

    async def get_pod(self, namespace: str, name: str) -> Body | None:
        return await self.get(namespace, "pods", name)

    async def list_task_pods(self, namespaces: tuple[str, ...]) -> list[Body]:
        return await self.list_all("pods", namespaces)

    async def read_pod_log(
        self, namespace: str, name: str, container: str, tail_lines: int, limit_bytes: int
    ) -> str | None:
        self._record("log", "pods", namespace, name)
        if ("pods", namespace, name) not in self.objects:
            return None
        lines = self.logs.get(name, "").splitlines(keepends=True)
        return "".join(lines[-tail_lines:])[-limit_bytes:]

    async def create_config_map(self, namespace: str, body: Body) -> bool:
        name = body["metadata"]["name"]
        if name in self.reject_config_maps:
            self._record("create", "configmaps", namespace, name)
            raise Rejected(self.reject_config_maps[name])
        return await self.create(namespace, "configmaps", body)

    async def get_config_map(self, namespace: str, name: str) -> Body | None:
        return await self.get(namespace, "configmaps", name)

    async def delete_config_map(self, namespace: str, name: str) -> None:
        await self.delete(namespace, "configmaps", name)


def _merge(target: Body, patch: Body) -> None:
    """A JSON merge patch (RFC 7386): null deletes, objects merge, the rest replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


@dataclass
class FakeEvents:
    """Records Events instead of posting them."""

    posted: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(object name, type, reason, message)."""

    def post(self, obj: Body, kind: str, reason: str, message: str) -> None:
        self.posted.append((obj["metadata"]["name"], kind, reason, message))

    def reasons(self) -> list[str]:
        return [reason for _, _, reason, _ in self.posted]

    async def drain(self) -> None:
        return None
