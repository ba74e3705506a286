"""The UI's server in-process with a fake of our UserApi: a signed-in client for a
scenario (`with_ui`), or one request as a signed-in page makes it (`call`)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kairflow.ui.auth import CSRF_HEADER, KubeconfigAuth, Session, csrf_token
from kairflow.ui.server import make_app
from tests.unit.ui.fake_user_api import NS, FakeUserApi

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


@dataclass
class FakeAuth:
    """One signed-in user whose API is the fake."""

    api: FakeUserApi
    mode: str = "kubeconfig"
    secret: bytes = b"test-secret"

    @property
    def the_session(self) -> Session:
        return Session(identity="session-1", api=self.api)  # type: ignore[arg-type]

    async def session(self, request: web.Request) -> Session:
        return self.the_session

    async def login(self, request: web.Request, response: web.StreamResponse) -> bool:
        return False

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    @property
    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.text)
        return found


def call(
    api: FakeUserApi, method: str, path: str, body: Any = None, *, csrf: bool = True
) -> Answer:
    """One request to the UI server, as a signed-in page makes it (with the CSRF
    token on writes)."""

    async def scenario() -> Answer:
        auth = FakeAuth(api)
        async with TestClient(TestServer(make_app(auth, NS))) as client:
            headers = {CSRF_HEADER: csrf_token(auth, auth.the_session)} if csrf else {}
            response = await client.request(method, path, json=body, headers=headers)
            return Answer(response.status, await response.text())

    return asyncio.run(scenario())


def made_off_the_event_loop(
    monkeypatch: Any, module: Any, function: str, api: FakeUserApi, path: str, body: Any
) -> bool:
    """Whether a POST of `body` to `path` calls `module.function` (CPU-heavy work) and
    only in threads other than the event loop's."""
    threads: list[str] = []
    real = getattr(module, function)

    def recording(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(module, function, recording)
    got = call(api, "POST", path, body)
    assert got.status == 200, got.body
    return bool(threads) and threading.main_thread().name not in threads
