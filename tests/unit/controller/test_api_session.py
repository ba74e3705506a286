"""The operator's API client (`k8s.client`): it sends plain JSON bodies without walking
them first, and looks up no proxy or ~/.netrc per request unless the environment names
a proxy (aiohttp does each lookup in a worker thread, two thread hops per request)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest
from kubernetes_asyncio.client import ApiClient, V1DeleteOptions, rest

from kairflow.k8s.client import (
    FastJson,
    JsonApiClient,
    distrust_empty_environment,
    encode_bodies_fast,
)


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


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        pytest.param(
            {"metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"n": [1, 2.5, None, True]}},
            '{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"n":[1,2.5,null,true]}}',
            id="a pod's JSON by orjson",
        ),
        pytest.param({"value": 'é\n"x"'}, '{"value":"é\\n\\"x\\""}', id="text is escaped"),
        pytest.param({1: "a"}, '{"1": "a"}', id="an int key is left to json.dumps"),
        pytest.param({"n": 2**70}, '{"n": 1180591620717411303424}', id="so is a huge int"),
        pytest.param({"x": float("nan")}, '{"x":null}', id="NaN is not JSON: null"),
    ],
)
def test_request_bodies_are_encoded_by_orjson_as_json_dumps_means_them(
    body: object, sent: str
) -> None:
    assert FastJson.dumps(body) == sent
    if "NaN" not in str(body) and "nan" not in str(body):
        assert json.loads(FastJson.dumps(body)) == json.loads(json.dumps(body))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"at": datetime(2024, 1, 1)}, id="a datetime"),
        pytest.param({"model": V1DeleteOptions()}, id="a client model"),
    ],
)
def test_a_body_json_dumps_cannot_write_still_fails_loudly(body: object) -> None:
    with pytest.raises(TypeError):
        FastJson.dumps(body)


def test_the_operators_client_encodes_its_request_bodies_with_orjson() -> None:
    encode_bodies_fast()
    assert rest.json is FastJson  # type: ignore[attr-defined]
