"""Token mode (the chart's): the user's bearer token is what every Kubernetes API call
carries, a token the API server rejects does not sign in, and a shared secret
(KAIRFLOW_UI_SECRET) keeps sessions across restarts and replicas.

The API server here is a stand-in that records the Authorization header of each call
and accepts one token; the UI is the real aiohttp app, served in-process."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from typer.testing import Result

from kairflow.cli import ui_cmd
from kairflow.ui.auth import COOKIE, TokenAuth
from kairflow.ui.server import make_app
from tests.cli import error_line, kairflow

GOOD = "good-token"
SECRET = b"s" * 32


def fake_api_server(seen: list[str]) -> web.Application:
    """Accepts only GOOD (until a call to /revoke); any other token is a 401, as a real
    API server answers."""
    accepted = {f"Bearer {GOOD}"}

    async def handle(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        seen.append(header)
        if request.path == "/revoke":
            accepted.clear()
            return web.json_response({})
        if header not in accepted:
            return web.json_response(
                {"kind": "Status", "code": 401, "message": "Unauthorized"}, status=401
            )
        if request.path == "/version":
            return web.json_response({"major": "1", "minor": "20", "gitVersion": "v1.20.2"})
        return web.json_response({"metadata": {"name": "etl"}, "spec": {"tasks": []}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


Scenario = Callable[[TestServer, Callable[[bytes], Awaitable[TestClient]]], Awaitable[None]]


def run(scenario: Scenario, seen: list[str]) -> None:
    """Start the stand-in API server, then run `scenario` with a factory of UI
    clients (each one a UI server with the given secret, as after a restart)."""

    async def main() -> None:
        api = TestServer(fake_api_server(seen))
        await api.start_server()
        clients: list[TestClient] = []

        async def ui(secret: bytes) -> TestClient:
            auth = TokenAuth(str(api.make_url("")).rstrip("/"), None, secret=secret)
            client = TestClient(TestServer(make_app(auth, "default")))
            await client.start_server()
            clients.append(client)
            return client

        try:
            await scenario(api, ui)
        finally:
            for client in clients:
                await client.close()
            await api.close()

    asyncio.run(main())


async def sign_in(client: TestClient, token: str) -> Any:
    return await client.post("/login", data={"token": token}, allow_redirects=False)


def test_every_api_call_carries_the_signed_in_users_token() -> None:
    seen: list[str] = []

    async def scenario(_api: TestServer, ui: Callable[[bytes], Awaitable[TestClient]]) -> None:
        client = await ui(SECRET)
        signed_in = await sign_in(client, GOOD)
        assert signed_in.status == 302
        assert signed_in.headers["Location"] == "/"
        seen.clear()
        reply = await client.get("/api/ns/default/dags/etl")
        assert reply.status == 200, await reply.text()
        assert seen == [f"Bearer {GOOD}"]

    run(scenario, seen)


def test_a_token_the_api_server_rejects_does_not_sign_in() -> None:
    seen: list[str] = []

    async def scenario(_api: TestServer, ui: Callable[[bytes], Awaitable[TestClient]]) -> None:
        client = await ui(SECRET)
        refused = await sign_in(client, "stolen-or-expired")
        assert refused.status == 302
        assert refused.headers["Location"] == "/#/login?failed=1"
        assert COOKIE not in refused.cookies
        assert (await client.get("/api/session")).status == 401
        assert seen == ["Bearer stolen-or-expired"]

    run(scenario, seen)


def test_a_token_revoked_after_sign_in_ends_the_session_on_the_next_call() -> None:
    seen: list[str] = []

    async def scenario(api: TestServer, ui: Callable[[bytes], Awaitable[TestClient]]) -> None:
        client = await ui(SECRET)
        await sign_in(client, GOOD)
        assert (await client.get("/api/ns/default/dags/etl")).status == 200
        async with aiohttp.ClientSession() as plain:
            await plain.post(str(api.make_url("/revoke")))
        refused = await client.get("/api/ns/default/dags/etl")
        assert refused.status == 401
        assert refused.cookies[COOKIE].value == ""  # the browser drops the session
        assert (await client.get("/api/session")).status == 401

    run(scenario, seen)


@pytest.mark.parametrize(
    ("sent", "location"),
    [
        pytest.param(
            "#/ns/prod/dags/etl/grid?run=r1",
            "/#/ns/prod/dags/etl/grid?run=r1",
            id="signing in returns to the page the form was on",
        ),
        pytest.param("https://evil.example/", "/", id="another site is never a destination"),
        pytest.param("//evil.example/", "/", id="nor a scheme-relative address"),
        pytest.param("#/ns/x\r\nSet-Cookie: a=b", "/", id="nor a header's line break"),
        pytest.param("", "/", id="without a page, the DAG list"),
    ],
)
def test_after_signing_in_the_user_is_back_on_their_page(sent: str, location: str) -> None:
    seen: list[str] = []

    async def scenario(_api: TestServer, ui: Callable[[bytes], Awaitable[TestClient]]) -> None:
        client = await ui(SECRET)
        reply = await client.post(
            "/login", data={"token": GOOD, "next": sent}, allow_redirects=False
        )
        assert reply.status == 302
        assert reply.headers["Location"] == location

    run(scenario, seen)


@pytest.mark.parametrize(
    ("second_secret", "status"),
    [
        pytest.param(SECRET, 200, id="the same secret after a restart keeps the session"),
        pytest.param(b"t" * 32, 401, id="another secret cannot read the session cookie"),
    ],
)
def test_a_shared_secret_keeps_sessions_across_servers(second_secret: bytes, status: int) -> None:
    seen: list[str] = []

    async def scenario(_api: TestServer, ui: Callable[[bytes], Awaitable[TestClient]]) -> None:
        first = await ui(SECRET)
        signed_in = await sign_in(first, GOOD)
        cookie = signed_in.cookies[COOKIE].value
        csrf = (await (await first.get("/api/session", cookies={COOKIE: cookie})).json())["csrf"]
        second = await ui(second_secret)
        reply = await second.get("/api/session", cookies={COOKIE: cookie})
        assert reply.status == status
        if status == 200:  # the page's CSRF token stays valid too
            assert (await reply.json())["csrf"] == csrf

    run(scenario, seen)


def token_mode(monkeypatch: pytest.MonkeyPatch, secret: str) -> tuple[Result, list[Any]]:
    """`kairflow ui --auth token` with KAIRFLOW_UI_SECRET=secret; what it would serve
    with (it does not start serving)."""
    started: list[Any] = []

    async def serve(*args: Any) -> None:
        started.append(args)

    monkeypatch.setattr(ui_cmd, "_serve", serve)
    args = ["ui", "--auth", "token", "--api-server", "https://k8s:6443"]
    return kairflow(*args, env={ui_cmd.SECRET_ENV: secret}), started


def test_a_short_shared_secret_is_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, started = token_mode(monkeypatch, "too-short")
    assert re.search(r"KAIRFLOW_UI_SECRET must be at least 32 characters", error_line(result))
    assert result.exit_code == 2
    assert started == []


def test_the_shared_secret_is_the_servers_key(monkeypatch: pytest.MonkeyPatch) -> None:
    result, started = token_mode(monkeypatch, "k" * 40)
    assert result.exit_code == 0, result.output
    ((auth, *_rest),) = started
    assert auth.secret == b"k" * 40
