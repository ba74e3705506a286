"""The webhook notifier a callback pod runs, against a real HTTP server on loopback."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kairflow.notify import send


class Receiver:
    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[Receiver, str]]:
    got = Receiver(list(request.param))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            code = got.answers.pop(0) if got.answers else 200
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"no such channel" if code == 404 else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield got, f"http://127.0.0.1:{server.server_address[1]}/services/SECRET"
    finally:
        server.shutdown()
        server.server_close()


def _env(url: str, payload: dict[str, Any], **more: str) -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return {"KAIRFLOW_WEBHOOK_URL": url, "KAIRFLOW_WEBHOOK_PAYLOAD": encoded, **more}


@pytest.mark.parametrize(
    ("receiver", "exit_code", "posts"),
    [
        pytest.param([200], 0, 1, id="a 200 answer is sent once"),
        pytest.param([503, 502, 200], 0, 3, id="5xx answers are retried until one succeeds"),
        pytest.param([429, 200], 0, 2, id="a 429 (rate limited) is retried"),
        pytest.param([500, 500, 500, 500], 1, 4, id="5xx every time gives up after the retries"),
        pytest.param([404], 1, 1, id="a 4xx is not retried"),
    ],
    indirect=["receiver"],
)
def test_send_retries_on_server_errors_only(
    receiver: tuple[Receiver, str], exit_code: int, posts: int
) -> None:
    got, url = receiver
    out = io.StringIO()
    waits: list[float] = []
    assert send(_env(url, {"text": "hi"}), sleep=waits.append, out=out) == exit_code
    assert len(got.requests) == posts
    assert waits == [2.0**i for i in range(len(waits))]
    assert "SECRET" not in out.getvalue()  # the URL's path is a secret


@pytest.mark.parametrize("receiver", [[200]], indirect=True)
def test_send_posts_the_payload_with_the_headers_from_the_environment(
    receiver: tuple[Receiver, str],
) -> None:
    got, url = receiver
    env = _env(
        url, {"text": "task extract failed"}, KAIRFLOW_WEBHOOK_HEADER_Authorization="Bearer t"
    )
    assert send(env, sleep=lambda s: None, out=io.StringIO()) == 0
    request = got.requests[0]
    assert json.loads(request["body"]) == {"text": "task extract failed"}
    assert request["headers"]["Authorization"] == "Bearer t"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["path"] == "/services/SECRET"


@pytest.mark.parametrize("receiver", [[404]], indirect=True)
def test_a_refused_post_says_why_in_one_line(receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    out = io.StringIO()
    send(_env(url, {"text": "x"}), sleep=lambda s: None, out=out)
    assert out.getvalue().strip().endswith(": HTTP 404: no such channel")


def test_nothing_listening_fails_after_the_retries_with_the_network_error() -> None:
    out = io.StringIO()
    env = _env("http://127.0.0.1:9/x", {"text": "x"}, KAIRFLOW_WEBHOOK_RETRIES="1")
    assert send(env, sleep=lambda s: None, out=out) == 1
    assert out.getvalue().count("failed:") == 2


def test_a_url_that_is_not_http_is_refused() -> None:
    out = io.StringIO()
    assert send(_env("file:///etc/passwd", {}), out=out) == 1
    assert "must be an http(s) URL" in out.getvalue()
