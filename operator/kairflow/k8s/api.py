"""The API layer the controller talks through: what it reads and writes of the
cluster. `Writer` implements it on kubernetes_asyncio; the controller's unit tests
use an in-memory fake of the same protocol."""

from __future__ import annotations

from typing import Any, Protocol

Body = dict[str, Any]


class ClusterApi(Protocol):
    async def create(self, namespace: str, plural: str, body: Body) -> bool:
        """Create a custom object; False when it already existed (not an error)."""

    async def get(self, namespace: str, plural: str, name: str) -> Body | None: ...

    async def delete(self, namespace: str, plural: str, name: str) -> None:
        """Delete a custom object; one already gone is not an error."""

    async def replace_status(self, namespace: str, plural: str, body: Body) -> Body:
        """PUT the status subresource; `Conflict` when the resourceVersion is stale,
        `NotFound` when the object is gone."""

    async def patch_spec(self, namespace: str, plural: str, name: str, patch: Body) -> Body:
        """A JSON merge patch of spec and metadata; returns the object as patched."""

    async def list_all(self, plural: str, namespaces: tuple[str, ...]) -> list[Body]: ...

    async def create_pod(self, namespace: str, manifest: Body) -> bool:
        """False when it already existed; an ApiException when refused."""

    async def delete_pod(self, namespace: str, name: str) -> None: ...

    async def get_pod(self, namespace: str, name: str) -> Body | None: ...

    async def list_task_pods(self, namespaces: tuple[str, ...]) -> list[Body]: ...

    async def read_pod_log(
        self, namespace: str, name: str, container: str, tail_lines: int, limit_bytes: int
    ) -> str | None:
        """The last `tail_lines` lines of a container's log (at most `limit_bytes`);
        None when the pod is gone."""

    async def create_config_map(self, namespace: str, body: Body) -> bool:
        """False when it already existed; `Rejected` when the API refuses it for good."""

    async def get_config_map(self, namespace: str, name: str) -> Body | None: ...

    async def delete_config_map(self, namespace: str, name: str) -> None:
        """One already gone is not an error."""


class EventSink(Protocol):
    def post(self, obj: Body, kind: str, reason: str, message: str) -> None:
        """Record a Kubernetes Event on `obj` (in the background: never blocks a sync)."""

    async def drain(self) -> None: ...
