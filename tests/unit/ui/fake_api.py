"""A fake of `kairflow.ui.kube.UserApi` (our own API layer): objects in memory,
watches fed by the test, errors on demand. No sockets, no sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from kairflow.ui.kube import ApiError


@dataclass
class FakeUserApi:
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"dags": {}, "dagruns": {}, "backfills": {}}
    )
    version: int = 100
    refuse: dict[str, ApiError] = field(default_factory=dict)
    """`"create dagruns"` → the error that call raises (as RBAC would)."""
    watches: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    logs: dict[str, list[bytes]] = field(default_factory=dict)
    closed: bool = False

    def _check(self, verb: str, kind: str) -> None:
        self.calls.append((verb, kind))
        error = self.refuse.get(f"{verb} {kind}")
        if error is not None:
            raise error

    def add(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        body.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        self.objects[kind][body["metadata"]["name"]] = body
        return body

    def queue(self, kind: str) -> asyncio.Queue[Any]:
        return self.watches.setdefault(kind, asyncio.Queue())

    async def list_objects(
        self, kind: str, namespace: str, label_selector: str | None = None
    ) -> dict[str, Any]:
        self._check("list", kind)
        items = list(self.objects[kind].values())
        if label_selector:
            key, value = label_selector.split("=", 1)
            items = [o for o in items if o["metadata"].get("labels", {}).get(key) == value]
        return {"items": items, "metadata": {"resourceVersion": str(self.version)}}

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self._check("get", kind)
        if name not in self.objects[kind]:
            raise ApiError(404, f'{kind} "{name}" not found', "NotFound")
        return self.objects[kind][name]

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        self._check("create", kind)
        if body["metadata"]["name"] in self.objects[kind]:
            raise ApiError(409, f'{kind} "{body["metadata"]["name"]}" already exists')
        return self.add(kind, body)

    async def patch(
        self, kind: str, namespace: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        self._check("patch", kind)
        found = await self.get(kind, namespace, name)
        for section, values in body.items():
            found.setdefault(section, {}).update(values)
        return self.add(kind, found)

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        self._check("delete", kind)
        await self.get(kind, namespace, name)
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
        self.calls.append(("watch", kind, resource_version))
        queue = self.queue(kind)
        while True:
            item = await queue.get()
            if item is None:  # the API server ended the watch
                return
            if isinstance(item, ApiError):
                raise item
            yield item

    async def pod_log(
        self, namespace: str, pod: str, *, follow: bool, container: str | None = None
    ) -> AsyncIterator[bytes]:
        self._check("log", pod)
        if pod not in self.logs:
            raise ApiError(404, f'pods "{pod}" not found', "NotFound")
        for chunk in self.logs[pod]:
            yield chunk

    async def close(self) -> None:
        self.closed = True
