"""The UI's access to the Kubernetes API, always as the person using the page.

Every call is made with the credentials of the request it serves (the local user's
kubeconfig for `kairflow ui`, the browser's bearer token in the cluster), so
Kubernetes RBAC decides what each person may see and do. API errors become `ApiError`
with the API server's own message (RBAC names the missing permission).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client import ApiClient, ApiException

from kairflow.api.common import GROUP, VERSION

KINDS = ("dags", "dagruns", "backfills")
MERGE_PATCH = "application/merge-patch+json"


class ApiError(Exception):
    """An API call the user asked for failed; `status` is the HTTP status to show."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


def api_error(exc: ApiException) -> ApiError:
    message, reason = str(exc.reason or "error"), ""
    try:
        body = json.loads(exc.body or "{}")
        message = str(body.get("message") or message)
        reason = str(body.get("reason") or "")
    except (TypeError, ValueError):
        pass
    return ApiError(int(exc.status or 500), message, reason)


@dataclass
class UserApi:
    """One person's view of the cluster (an ApiClient made with their credentials)."""

    api: ApiClient

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    async def close(self) -> None:
        await self.api.close()

    async def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except ApiException as exc:
            raise api_error(exc) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ApiError(502, f"cannot reach the Kubernetes API: {exc}") from None

    async def list_objects(
        self,
        kind: str,
        namespace: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> dict[str, Any]:
        kwargs = {"label_selector": label_selector} if label_selector else {}
        if field_selector:  # custom resources take metadata.name and metadata.namespace
            kwargs["field_selector"] = field_selector
        result: dict[str, Any] = await self._call(
            self.custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            kind,
            **kwargs,
        )
        return result

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            self.custom.get_namespaced_custom_object, GROUP, VERSION, namespace, kind, name
        )
        return result

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            self.custom.create_namespaced_custom_object, GROUP, VERSION, namespace, kind, body
        )
        return result

    async def patch(
        self, kind: str, namespace: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            self.custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            kind,
            name,
            body,
            _content_type=MERGE_PATCH,
        )
        return result

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        await self._call(
            self.custom.delete_namespaced_custom_object, GROUP, VERSION, namespace, kind, name
        )

    async def authenticate(self) -> None:
        """Raise ApiError(401) when the API server does not accept these credentials
        (any authenticated user may read /version; a rejected token may not)."""
        # Unparsed: only the status matters (and an unpreloaded call does not raise).
        response = await self._call(client.VersionApi(self.api).get_code, _preload_content=False)
        status = int(response.status)
        response.release()
        if status >= 400:
            raise ApiError(status, "the API server did not accept these credentials")

    async def namespaces(self) -> list[str]:
        found = await self._call(self.core.list_namespace)
        return sorted(item.metadata.name for item in found.items)

    async def events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        found = await self._call(
            self.core.list_namespaced_event,
            namespace,
            field_selector=f"involvedObject.name={name}",
        )
        return [
            {
                "type": e.type,
                "reason": e.reason,
                "message": e.message,
                "count": e.count,
                "last": (e.last_timestamp or e.event_time or e.first_timestamp or "")
                and str(e.last_timestamp or e.event_time or e.first_timestamp),
                "kind": e.involved_object.kind if e.involved_object else None,
            }
            for e in found.items
        ]

    async def watch(
        self,
        kind: str,
        namespace: str,
        resource_version: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(event type, object) until the API server ends the watch; raises ApiError
        (410 Gone when `resource_version` is too old: list again)."""
        kwargs: dict[str, Any] = {"resource_version": resource_version, "timeout_seconds": 300}
        if label_selector:
            kwargs["label_selector"] = label_selector
        if field_selector:
            kwargs["field_selector"] = field_selector
        stream = watch.Watch().stream(
            self.custom.list_namespaced_custom_object, GROUP, VERSION, namespace, kind, **kwargs
        )
        try:
            async for event in stream:
                kind_of_event, obj = event["type"], event["object"]
                if kind_of_event == "ERROR":
                    code = int(obj.get("code") or 500)
                    raise ApiError(code, str(obj.get("message") or "watch error"))
                yield kind_of_event, obj
        except ApiException as exc:
            raise api_error(exc) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ApiError(502, f"cannot reach the Kubernetes API: {exc}") from None

    async def read_pod(self, namespace: str, pod: str) -> Any:
        """The pod (a kubernetes_asyncio V1Pod)."""
        return await self._call(self.core.read_namespaced_pod, pod, namespace)

    async def read_config_map(self, namespace: str, name: str) -> Any:
        """The ConfigMap (a kubernetes_asyncio V1ConfigMap; binary_data stays base64)."""
        return await self._call(self.core.read_namespaced_config_map, name, namespace)

    async def pod_log(
        self, namespace: str, pod: str, *, follow: bool, container: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        kwargs: dict[str, Any] = {"follow": follow, "_preload_content": False}
        if container:
            kwargs["container"] = container
        response = await self._call(self.core.read_namespaced_pod_log, pod, namespace, **kwargs)
        if response.status >= 400:
            # Unread (`_preload_content=False`), the answer is not checked by the client:
            # a gone pod's Status would otherwise be shown as its log.
            failed = ApiException(status=response.status, reason=response.reason)
            failed.body = await response.read()
            response.release()
            raise api_error(failed)
        try:
            async for chunk in response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, OSError) as exc:
            raise ApiError(502, f"the log stream broke: {exc}") from None
        finally:
            response.release()
