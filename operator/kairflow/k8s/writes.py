"""Idempotent writes: "already exists" is success for creates, "not found" for deletes."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient, ApiException

from kairflow.api.common import GROUP, VERSION
from kairflow.core import labels
from kairflow.k8s.rate_limit import UNLIMITED, ApiLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")


class Conflict(Exception):
    """The object changed since it was read (HTTP 409 on an update)."""


class NotFound(Exception):
    """The object is gone (HTTP 404 on an update)."""


class Rejected(Exception):
    """The API will never accept this object as it is (an invalid field, a forbidden
    service account): retrying the same request cannot help. The message is the
    API's own, one line."""


def _rejected_for_good(exc: ApiException) -> bool:
    if exc.status in (400, 422):
        return True
    return exc.status == 403 and "exceeded quota" not in str(exc.body or "")


def _api_message(exc: ApiException) -> str:
    body = exc.body
    try:
        text = str(json.loads(body)["message"]) if body else str(exc.reason or exc)
    except (ValueError, KeyError, TypeError):
        text = str(body or exc)
    return " ".join(text.split())


def owner_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    """The controller owner reference to `owner` (its garbage collection takes ours)."""
    return {
        "apiVersion": owner.get("apiVersion"),
        "kind": owner.get("kind"),
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def api_error(status: int, body: Any) -> ApiException:
    """The ApiException the client raises for an error answer, from a raw
    (_preload_content=False) response's status and JSON body."""
    message = body.get("message", body) if isinstance(body, dict) else body
    exc = ApiException(status=status, reason=" ".join(str(message).split()))
    exc.body = (json.dumps(body) if isinstance(body, dict) else str(body)).encode()
    return exc


async def _read_raw(call: Awaitable[Any], kind: str) -> dict[str, Any] | None:
    """An object read with _preload_content=False, or None when it does not exist."""
    try:
        response = await call
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    # _preload_content=False returns the raw response (plain JSON, like watch events)
    # and does not raise for an error status: check it here.
    raw = cast(Any, response)
    body: dict[str, Any] = await raw.json()
    if raw.status == 404:
        return None
    if raw.status >= 400 or body.get("kind") != kind:
        raise ApiException(status=raw.status, reason=str(body.get("message", body)))
    return body


class Writer:
    def __init__(self, api: ApiClient, limit: ApiLimiter | None = None) -> None:
        self.api = api
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.limit = limit or ApiLimiter(parallel=UNLIMITED)

    async def _limited(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self.limit.slot():
            return await call()

    async def _create(self, call: Callable[[], Awaitable[Any]]) -> bool:
        """True when created now, False when it already existed; `Rejected` when the
        API refuses it for good (other errors are transient: the sync is retried).
        `call` asks for the raw response: the created object is not read into client
        models (a millisecond of CPU each, on the event loop, times a fan-out)."""
        try:
            raw: Any = await self._limited(call)
            if raw.status >= 400:
                raise api_error(raw.status, await raw.json())
            raw.release()
        except ApiException as exc:
            if exc.status == 409:
                return False
            if _rejected_for_good(exc):
                raise Rejected(_api_message(exc)) from None
            raise
        return True

    async def create_pod(self, namespace: str, manifest: dict[str, Any]) -> bool:
        return await self._create(
            lambda: self.core.create_namespaced_pod(
                namespace, cast(Any, manifest), _preload_content=False
            )
        )

    async def delete_pod(self, namespace: str, name: str) -> None:
        try:
            await self._limited(lambda: self.core.delete_namespaced_pod(name, namespace))
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def get_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The pod as JSON, or None when it does not exist."""
        return await self._limited(
            lambda: _read_raw(
                self.core.read_namespaced_pod(name, namespace, _preload_content=False), "Pod"
            )
        )

    async def read_pod_log(
        self, namespace: str, name: str, container: str, tail_lines: int, limit_bytes: int
    ) -> str | None:
        try:
            text = await self._limited(
                lambda: self.core.read_namespaced_pod_log(
                    name,
                    namespace,
                    container=container,
                    tail_lines=tail_lines,
                    limit_bytes=limit_bytes,
                )
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return str(text)

    async def create_config_map(self, namespace: str, body: dict[str, Any]) -> bool:
        return await self._create(
            lambda: self.core.create_namespaced_config_map(
                namespace, cast(Any, body), _preload_content=False
            )
        )

    async def delete_config_map(self, namespace: str, name: str) -> None:
        try:
            await self._limited(lambda: self.core.delete_namespaced_config_map(name, namespace))
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def get_config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The ConfigMap as plain JSON (binaryData stays base64), or None."""
        return await self._limited(
            lambda: _read_raw(
                self.core.read_namespaced_config_map(name, namespace, _preload_content=False),
                "ConfigMap",
            )
        )

    async def list_all(self, plural: str, namespaces: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every object of a kind, in the given namespaces (all when empty)."""
        if not namespaces:
            found = await self.custom.list_cluster_custom_object(GROUP, VERSION, plural)
            return list(found["items"])
        items: list[dict[str, Any]] = []
        for namespace in namespaces:
            found = await self.custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, plural
            )
            items.extend(found["items"])
        return items

    async def list_task_pods(self, namespaces: tuple[str, ...]) -> list[dict[str, Any]]:
        """Pods of task instances (labelled with their DagRun), as plain JSON."""
        selector = labels.DAG_RUN
        calls = (
            [self.core.list_pod_for_all_namespaces(label_selector=selector, _preload_content=False)]
            if not namespaces
            else [
                self.core.list_namespaced_pod(ns, label_selector=selector, _preload_content=False)
                for ns in namespaces
            ]
        )
        items: list[dict[str, Any]] = []
        for call in calls:
            raw = cast(Any, await call)
            items.extend((await raw.json())["items"])
        return items

    async def create(self, namespace: str, plural: str, body: dict[str, Any]) -> bool:
        try:
            await self._limited(
                lambda: self.custom.create_namespaced_custom_object(
                    GROUP, VERSION, namespace, plural, body
                )
            )
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise
        return True

    async def delete(self, namespace: str, plural: str, name: str) -> None:
        try:
            await self._limited(
                lambda: self.custom.delete_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    namespace,
                    plural,
                    name,
                    body=client.V1DeleteOptions(propagation_policy="Background"),
                )
            )
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def get(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = await self._limited(
                lambda: self.custom.get_namespaced_custom_object(
                    GROUP, VERSION, namespace, plural, name
                )
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return result

    async def replace_status(
        self, namespace: str, plural: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT the status subresource with the body's resourceVersion (optimistic lock)."""
        try:
            result: dict[str, Any] = await self._limited(
                lambda: self.custom.replace_namespaced_custom_object_status(
                    GROUP, VERSION, namespace, plural, body["metadata"]["name"], body
                )
            )
        except ApiException as exc:
            if exc.status == 409:
                raise Conflict(body["metadata"]["name"]) from None
            if exc.status == 404:
                raise NotFound(body["metadata"]["name"]) from None
            raise
        return result

    async def patch_spec(
        self, namespace: str, plural: str, name: str, patch: dict[str, Any]
    ) -> dict[str, Any]:
        """A JSON merge patch of the object (spec and metadata; not status); returns
        the object as patched."""
        result: dict[str, Any] = await self._limited(
            lambda: self.custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                namespace,
                plural,
                name,
                patch,
                _content_type="application/merge-patch+json",  # type: ignore[call-arg]
            )
        )
        return result
