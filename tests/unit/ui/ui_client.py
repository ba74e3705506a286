"""The UI's server in-process with a fake of our UserApi, and a signed-in client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from kairflow.ui.auth import KubeconfigAuth
from kairflow.ui.server import make_app
from tests.unit.ui.fake_api import FakeUserApi

Scenario = Callable[[TestClient[Any, Any], KubeconfigAuth, FakeUserApi], Awaitable[None]]


def with_ui(scenario: Scenario) -> None:
    async def main() -> None:
        api = FakeUserApi()
        api.add("dags", {"metadata": {"name": "etl"}, "spec": {"paused": True, "tasks": []}})
        auth = KubeconfigAuth(kubeconfig=None, context=None)
        auth._api = api  # type: ignore[assignment]  # our fake of UserApi
        async with TestClient(TestServer(make_app(auth, "default"))) as client:
            await scenario(client, auth, api)

    asyncio.run(main())


async def signed_in(client: TestClient[Any, Any], auth: KubeconfigAuth) -> str:
    """Sign in with the printed URL's secret; returns the page's CSRF token."""
    response = await client.get(f"/login?token={auth.login_secret}", allow_redirects=False)
    assert response.status == 302
    session = await client.get("/api/session")
    return str((await session.json())["csrf"])
