"""Who may do what through the UI: sign-in, CSRF on every write, the API server's
refusals passed on, headers that keep injected strings inert, no secrets in logs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from kairflow.ui.auth import COOKIE, KubeconfigAuth, TokenAuth, Unauthenticated
from kairflow.ui.kube import ApiError
from kairflow.ui.server import AccessLog
from tests.unit.ui.ui_client import signed_in, with_ui


def test_without_signing_in_nothing_is_readable() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        response = await client.get("/api/ns/default/dags/etl")
        assert response.status == 401
        assert "kairflow ui" in (await response.json())["error"]

    with_ui(scenario)


def test_a_wrong_sign_in_secret_is_refused() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        response = await client.get("/login?token=guess", allow_redirects=False)
        assert response.status == 401
        assert COOKIE not in response.cookies
        assert (await client.get("/api/session")).status == 401

    with_ui(scenario)


def test_the_session_cookie_is_httponly_and_same_site_strict() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        response = await client.get(f"/login?token={auth.login_secret}", allow_redirects=False)
        cookie = response.cookies[COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"
        assert auth.login_secret not in cookie.value

    with_ui(scenario)


@pytest.mark.parametrize(
    ("headers", "secure"),
    [
        pytest.param({}, False, id="served over plain http the cookie is not Secure"),
        pytest.param(
            {"X-Forwarded-Proto": "https"}, True, id="behind a TLS ingress the cookie is Secure"
        ),
        pytest.param({"X-Forwarded-Proto": "http"}, False, id="behind a plain proxy it is not"),
    ],
)
def test_the_session_cookie_is_secure_when_the_user_came_over_https(
    headers: dict[str, str], secure: bool
) -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        response = await client.get(
            f"/login?token={auth.login_secret}", headers=headers, allow_redirects=False
        )
        assert bool(response.cookies[COOKIE]["secure"]) is secure

    with_ui(scenario)


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        pytest.param({}, False, id="a write without the CSRF token is refused"),
        pytest.param({"X-CSRF-Token": "forged"}, False, id="a forged CSRF token is refused"),
        pytest.param(
            {"X-CSRF-Token": "{csrf}", "Origin": "http://evil.example"},
            False,
            id="another site's page is refused even with the token",
        ),
        pytest.param({"X-CSRF-Token": "{csrf}"}, True, id="the page's own write goes through"),
    ],
)
def test_writes_need_the_pages_csrf_token(headers: dict[str, str], allowed: bool) -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        csrf = await signed_in(client, auth)
        sent = {k: v.replace("{csrf}", csrf) for k, v in headers.items()}
        response = await client.post(
            "/api/ns/default/dags/etl/paused", json={"paused": False}, headers=sent
        )
        assert (response.status == 200) is allowed
        assert api.objects["dags"]["etl"]["spec"]["paused"] is (not allowed)
        if not allowed:
            assert (await response.json())["reason"] == "CSRF"

    with_ui(scenario)


def test_what_rbac_refuses_comes_back_with_the_api_servers_words() -> None:
    message = (
        'dags.kairflow.io "etl" is forbidden: User "system:serviceaccount:default:viewer" '
        'cannot patch resource "dags" in API group "kairflow.io" in the namespace "default"'
    )

    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.refuse["patch dags"] = ApiError(403, message, "Forbidden")
        csrf = await signed_in(client, auth)
        response = await client.post(
            "/api/ns/default/dags/etl/paused",
            json={"paused": False},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status == 403
        assert await response.json() == {"error": message, "reason": "Forbidden"}

    with_ui(scenario)


def test_every_page_forbids_inline_scripts_and_framing() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        for path in ("/", "/api/session", "/static/js/app.js"):
            response = await client.get(path)
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy
            assert "'unsafe-inline'" not in policy
            assert "frame-ancestors 'none'" in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"

    with_ui(scenario)


def test_the_access_log_never_shows_the_sign_in_secret(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        logger = logging.getLogger("test.access")
        request: Any = type("R", (), {"method": "GET", "path": "/login"})()
        response: Any = type("S", (), {"status": 302})()
        with caplog.at_level(logging.INFO, logger="test.access"):
            AccessLog(logger, "").log(request, response, 0.01)
        assert "GET /login 302" in caplog.text
        assert auth.login_secret not in caplog.text

    with_ui(scenario)


def test_a_bearer_token_is_used_but_never_becomes_the_identity_or_the_cookie() -> None:
    async def main() -> None:
        auth = TokenAuth(api_server="https://127.0.0.1:1", ca_file=None)
        token = "eyJhbGciOi.secret-token"

        def request(headers: dict[str, str], cookies: dict[str, str]) -> Any:
            return type("R", (), {"headers": headers, "cookies": cookies})()

        session = await auth.session(request({"Authorization": f"Bearer {token}"}, {}))
        assert token not in session.identity
        sealed = auth._fernet.encrypt(token.encode()).decode()
        assert token not in sealed
        from_cookie = await auth.session(request({}, {COOKIE: sealed}))
        assert from_cookie.identity == session.identity
        with pytest.raises(Unauthenticated):
            await auth.session(request({}, {COOKIE: "tampered"}))
        await auth.close()

    asyncio.run(main())


def test_unknown_routes_are_not_found_even_when_signed_in() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, _: Any) -> None:
        await signed_in(client, auth)
        assert (await client.get("/api/ns/default/yaml/secrets/x")).status == 404

    with_ui(scenario)
