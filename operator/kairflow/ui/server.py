"""The UI's HTTP server: static pages, a JSON API over the user's Kubernetes access,
and live streams. Runs on aiohttp (already the operator's HTTP stack, via kopf)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from kairflow.requests.errors import RequestError
from kairflow.ui import routes_actions, routes_read, stream
from kairflow.ui.auth import AUTH_KEY, COOKIE, SESSION, Auth, Unauthenticated, csrf_ok
from kairflow.ui.kube import ApiError

STATIC = Path(str(resources.files("kairflow.ui") / "static"))
_SAFE = {"GET", "HEAD", "OPTIONS"}
_PUBLIC = ("/static/", "/login", "/healthz")
SHUTDOWN_SECONDS = 5.0
_UNAUTHORIZED = 401
_ROUTE = re.compile(r"#/[A-Za-z0-9_./~%?&=:+-]*")
# Only our own scripts and styles; nothing inline, so an injected string cannot run.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

log = logging.getLogger("kairflow.ui")


class AccessLog(AbstractAccessLogger):
    """Method, path and status only: a query string may carry the login secret.
    Not the probes' /healthz (every few seconds in the cluster: noise)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.path == "/healthz" and response.status == 200:
            return
        self.logger.info(
            "%s %s %s %.0fms", request.method, request.path, response.status, time * 1000
        )


def error_response(status: int, message: str, reason: str = "") -> web.Response:
    return web.json_response({"error": message, "reason": reason}, status=status)


def _harden(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Not no-referrer: under it a browser sends `Origin: null` with the login form's
    # POST, which the same-origin check must refuse. same-origin still keeps every
    # URL (the sign-in secret's) from other sites.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    auth = request.app[AUTH_KEY]
    if not request.path.startswith(_PUBLIC) and request.path != "/":
        try:
            session = await auth.session(request)
        except Unauthenticated as exc:
            return _harden(error_response(401, str(exc), "Unauthorized"))
        if request.method not in _SAFE and not csrf_ok(auth, session, request):
            refused = error_response(403, "missing or wrong CSRF token: reload the page", "CSRF")
            return _harden(refused)
        request[SESSION] = session
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.message, exc.reason)
        if exc.status == _UNAUTHORIZED:
            _signed_out(auth, response)
    except RequestError as exc:
        response = error_response(400, str(exc), "BadRequest")
    except web.HTTPException as exc:
        response = error_response(exc.status, exc.reason)
    return _harden(response)


def _signed_out(auth: Auth, response: web.StreamResponse) -> None:
    """The API server no longer takes the user's credentials (an expired or revoked
    token): in token mode the session ends, so the page asks for a new token instead of
    failing on every call. (A kubeconfig's credentials are renewed outside the UI.)"""
    if auth.mode == "token":
        response.del_cookie(COOKIE, path="/")


def index_html() -> str:
    """index.html with a `modulepreload` link for every module of the page, so the
    browser fetches them all at once instead of one level of imports at a time (the
    grid's modules are six imports deep)."""
    page = (STATIC / "index.html").read_text()
    modules = sorted(list((STATIC / "js").rglob("*.js")) + list((STATIC / "vendor").glob("*.mjs")))
    links = "".join(
        f'<link rel="modulepreload" href="/static/{p.relative_to(STATIC).as_posix()}">\n'
        for p in modules
    )
    return page.replace('<script type="module"', f'{links}<script type="module"', 1)


async def index(request: web.Request) -> web.StreamResponse:
    return web.Response(
        text=index_html(), content_type="text/html", headers={"Cache-Control": "no-store"}
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def _back_to(form: Mapping[str, Any]) -> str:
    """The page the sign-in form was shown on (`#/ns/...`): only a route of this app,
    never another site (an open redirect) or a header's line break."""
    route = str(form.get("next") or "")
    return route if _ROUTE.fullmatch(route) else ""


async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app[AUTH_KEY]
    response = _redirect("/" + _back_to(await request.post() if request.method == "POST" else {}))
    if request.method == "POST" and request.headers.get("Origin") not in {
        None,
        f"http://{request.host}",
        f"https://{request.host}",
    }:
        return error_response(403, "cross-site sign-in refused", "CSRF")
    if await auth.login(request, response):
        return response
    if auth.mode == "kubeconfig":
        return error_response(401, "wrong or missing sign-in secret: use the printed URL")
    return _redirect("/#/login?failed=1")


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def make_app(auth: Auth, default_namespace: str) -> web.Application:
    app = web.Application(middlewares=[security])
    app[AUTH_KEY] = auth
    app[routes_read.DEFAULT_NAMESPACE] = default_namespace
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/login", login)
    app.router.add_static("/static/", STATIC, append_version=False)
    routes_read.add(app)
    routes_actions.add(app)
    stream.add(app)

    async def close(_app: web.Application) -> None:
        await auth.close()

    app.on_cleanup.append(close)
    return app


async def start(
    auth: Auth, default_namespace: str, address: str, port: int
) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the bound port (`port=0` picks one)."""
    app = make_app(auth, default_namespace)
    # Live streams end on shutdown (`stream.add`) and every other request is short, so
    # a stop waits seconds, not aiohttp's default minute, for requests in flight.
    runner = web.AppRunner(
        app, access_log_class=AccessLog, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()
    site = web.TCPSite(runner, address, port)
    await site.start()
    server: Any = site._server  # aiohttp keeps the listening socket here
    bound = int(server.sockets[0].getsockname()[1])
    return runner, bound
