"""The operator's API client (`k8s.client`): it sends plain JSON bodies without walking
them first, and looks up no proxy or ~/.netrc per request unless the environment names
a proxy (aiohttp does each lookup in a worker thread, two thread hops per request)."""

from __future__ import annotations

import asyncio

import pytest
from kubernetes_asyncio.client import ApiClient, V1DeleteOptions

from kairflow.k8s.client import JsonApiClient, distrust_empty_environment


@pytest.mark.parametrize(
    ("environ", "trusted"),
    [
        pytest.param({}, False, id="no proxy set: nothing looked up per request"),
        pytest.param({"HOME": "/root"}, False, id="other variables change nothing"),
        pytest.param({"HTTPS_PROXY": "http://p:3128"}, True, id="a proxy set: still used"),
        pytest.param({"no_proxy": "x", "http_proxy": "http://p"}, True, id="any case"),
        pytest.param({"HTTPS_PROXY": ""}, False, id="an empty proxy variable is none"),
    ],
)
def test_the_session_trusts_the_environment_only_when_it_names_a_proxy(
    environ: dict[str, str], trusted: bool
) -> None:
    async def check() -> bool:
        api = ApiClient()
        try:
            distrust_empty_environment(api, environ)
            return bool(api.rest_client.pool_manager.trust_env)
        finally:
            await api.close()

    assert asyncio.run(check()) is trusted


def test_a_plain_json_body_is_sent_as_it_is_and_a_model_is_still_serialized() -> None:
    async def check() -> None:
        api = JsonApiClient()
        try:
            body = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "base"}]}}
            assert api.sanitize_for_serialization(body) is body
            options = V1DeleteOptions(propagation_policy="Background")
            assert api.sanitize_for_serialization(options) == {"propagationPolicy": "Background"}
            assert api.sanitize_for_serialization([("limit", 5)]) == [("limit", 5)]
        finally:
            await api.close()

    asyncio.run(check())
