"""The operator's API session looks up no proxy or ~/.netrc per request unless the
environment names a proxy (`handlers.distrust_empty_environment`): aiohttp does each
lookup in a worker thread, two thread hops on every request."""

from __future__ import annotations

import asyncio

import pytest
from kubernetes_asyncio.client import ApiClient

from kairflow.controller.handlers import distrust_empty_environment


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
