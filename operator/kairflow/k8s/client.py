"""The operator's API client: kubernetes_asyncio's, set up for a controller that sends
plain JSON and thousands of requests a minute.

- Bodies that are plain JSON (dicts) go to `json.dumps` as they are: the library first
  walks every body to turn its models into dicts (`sanitize_for_serialization`), a
  Python call per key and value of a pod manifest, about a tenth of the operator's
  time in a 5,000-pod fan-out. Everything the operator sends is a dict already;
  anything else (a client model such as V1DeleteOptions) is still walked.
- Request bodies are encoded with orjson (`FastJson`): about six times faster than the
  stdlib's json for a pod, on the event loop, once per pod of a fan-out.
- No proxy or ~/.netrc lookup per request unless the environment names a proxy.
- Every request has a timeout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import orjson
from kubernetes_asyncio import config as kube_config
from kubernetes_asyncio.client import ApiClient, Configuration, rest
from kubernetes_asyncio.config import ConfigException

__all__ = [
    "REQUEST_TIMEOUT",
    "FastJson",
    "JsonApiClient",
    "distrust_empty_environment",
    "encode_bodies_fast",
    "operator_client",
]

REQUEST_TIMEOUT = 30.0
"""Seconds. aiohttp's default is 5 minutes: a request hanging on an apiserver that is
coming back would hold its sync (and every event for that object) that long."""

PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy", "ws_proxy", "wss_proxy")


class JsonApiClient(ApiClient):
    """An ApiClient that sends dicts as they are (see the module's docstring).

    A dict holding something `json.dumps` cannot write (a model, a datetime) fails
    loudly with TypeError when the request is made, never silently."""

    def sanitize_for_serialization(self, obj: Any) -> Any:
        if type(obj) is dict:
            return obj
        return super().sanitize_for_serialization(obj)


class FastJson:
    """What kubernetes_asyncio's REST client encodes request bodies with (it calls
    `json.dumps(body)` through its module's `json`): orjson for what orjson writes
    exactly as json.dumps would mean it, the stdlib for anything else. Strict: a
    datetime, a dataclass or a subclass of a builtin type is left to json.dumps, which
    fails on what it always failed on (a naive datetime is never sent in a new form);
    so are int keys and integers past 64 bits, which orjson refuses. NaN and the
    infinities, which JSON lacks, become null (json.dumps wrote a bare NaN, which the
    API server refuses)."""

    _STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    _STRICT |= orjson.OPT_PASSTHROUGH_SUBCLASS

    @staticmethod
    def dumps(obj: Any) -> str:
        try:
            return orjson.dumps(obj, option=FastJson._STRICT).decode()
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return json.dumps(obj)

    loads = staticmethod(json.loads)


def encode_bodies_fast() -> None:
    """Have the REST client encode bodies with `FastJson` (process-wide: the module's
    `json` is the only seam; idempotent)."""
    rest.json = FastJson  # type: ignore[attr-defined]


def distrust_empty_environment(api: ApiClient, environ: Mapping[str, str]) -> bool:
    """kubernetes_asyncio's aiohttp session trusts the environment: every request then
    looks up proxies and ~/.netrc, each in a worker thread (two thread hops per request:
    about a fifth of the operator's samples in a 5,000-pod fan-out). With no proxy
    variable set there is nothing to find, so the session stops looking. True when it
    did; a proxy set in the environment is still used."""
    names = {name.lower() for name, value in environ.items() if value}
    session = api.rest_client.pool_manager
    if names & set(PROXY_VARIABLES) or not hasattr(session, "_trust_env"):
        return False
    session._trust_env = False
    return True


def _in_cluster(configuration: Configuration) -> bool:
    """Whether this runs in a pod: then `configuration` is its service account's."""
    try:
        kube_config.load_incluster_config(configuration)  # type: ignore[no-untyped-call]
    except ConfigException:
        return False
    return True


async def operator_client(kubeconfig: str | None = None) -> ApiClient:
    """The client for `kubeconfig` when given (tests, benches), else the pod's service
    account, else $KUBECONFIG as it is now (the library only looks at it when first
    imported)."""
    configuration = Configuration()
    if kubeconfig is not None or not _in_cluster(configuration):
        await kube_config.load_kube_config(
            config_file=kubeconfig or os.environ.get("KUBECONFIG"),
            client_configuration=configuration,
        )
    encode_bodies_fast()
    api = JsonApiClient(configuration)
    distrust_empty_environment(api, os.environ)
    request = api.rest_client.request

    async def request_with_timeout(*args: Any, **kwargs: Any) -> Any:
        kwargs["_request_timeout"] = kwargs.get("_request_timeout") or REQUEST_TIMEOUT
        return await request(*args, **kwargs)

    api.rest_client.request = request_with_timeout  # type: ignore[method-assign]
    return api
