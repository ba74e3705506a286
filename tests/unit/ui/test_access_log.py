"""The UI's access log: what a request leaves in the server's log."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from kairflow.ui.server import AccessLog


@pytest.mark.parametrize(
    ("method", "url", "status", "logged"),
    [
        pytest.param(
            "GET",
            "/login?token=the-printed-secret",
            302,
            "GET /login 302",
            id="a sign-in leaves its path, never the secret in its query",
        ),
        pytest.param(
            "POST",
            "/api/ns/etl/dags/a/paused",
            403,
            "POST /api/ns/etl/dags/a/paused 403",
            id="a refused write is logged with its status",
        ),
        pytest.param("GET", "/healthz", 200, None, id="the probes' health checks are not"),
        pytest.param("GET", "/healthz", 500, "GET /healthz 500", id="a failing health check is"),
    ],
)
def test_what_a_request_leaves_in_the_log(
    method: str, url: str, status: int, logged: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("test-access")
    with caplog.at_level(logging.INFO, logger="test-access"):
        AccessLog(logger, "").log(
            make_mocked_request(method, url), web.Response(status=status), 0.002
        )
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ([f"{logged} 2ms"] if logged else [])
