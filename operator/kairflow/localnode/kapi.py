"""Talking JSON to the API server through kubernetes_asyncio.

The agent works on plain dicts (camelCase, exactly what the API returns), so each
call goes out with `_preload_content=False` and its answer is read here: a non-2xx
answer raises `KubeError` carrying the API's Status message. Status and lease
writes are JSON merge patches, which replace lists (containerStatuses, conditions)
as a whole: the agent always sends the complete list it owns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client, config

MERGE_PATCH = "application/merge-patch+json"


class KubeError(Exception):
    """The API server answered with an error Status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class KubeconfigError(Exception):
    """No usable kubeconfig."""


async def load_api(kubeconfig: Path | None) -> client.ApiClient:
    """An ApiClient for `kubeconfig`, else $KUBECONFIG as it is now (not as it was
    when kubernetes_asyncio was imported), else ~/.kube/config. The process-wide
    default configuration is left alone (tests run several clients in one process)."""
    path = str(kubeconfig or os.environ.get("KUBECONFIG") or Path.home() / ".kube" / "config")
    path = path.split(os.pathsep, maxsplit=1)[0]
    if not Path(path).is_file():
        raise KubeconfigError(f"no kubeconfig at {path} (set KUBECONFIG)")
    configuration = client.Configuration()
    try:
        await config.load_kube_config(config_file=path, client_configuration=configuration)
    except config.ConfigException as exc:
        raise KubeconfigError(f"{path}: {exc}") from None
    return client.ApiClient(configuration=configuration)


def core_api(api: client.ApiClient) -> Any:
    """CoreV1Api, typed Any: its calls take and return plain JSON here, not models."""
    return client.CoreV1Api(api)


def coordination_api(api: client.ApiClient) -> Any:
    return client.CoordinationV1Api(api)


def version_api(api: client.ApiClient) -> Any:
    return client.VersionApi(api)


async def call(request: Awaitable[Any]) -> dict[str, Any]:
    """Await a `_preload_content=False` call; its JSON body, or KubeError."""
    response = await request
    try:
        body = await response.read()
        status = int(response.status)
    finally:
        response.release()
    if not 200 <= status <= 299:
        raise KubeError(status, _message(body))
    if not body:
        return {}
    value = json.loads(body)
    return value if isinstance(value, dict) else {}


def _message(body: bytes) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")[:500]
    if isinstance(value, dict):
        return str(value.get("message") or value.get("reason") or value)
    return str(value)
