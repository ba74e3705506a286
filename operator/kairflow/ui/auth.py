"""Who is asking, and with which credentials the UI calls the Kubernetes API for them.

Two modes, one rule: the UI has no credentials of its own for the data it shows.
- `kubeconfig` (`kairflow ui`): the user's own kubeconfig. The server listens on
  loopback and prints a login URL with a one-time secret, as Jupyter does, so other
  local users and web pages cannot use the user's credentials through it.
- `token` (the chart): the browser's bearer token, from an `Authorization` header set
  by an auth proxy (the cluster's OIDC token) or pasted on the login page and kept in
  an encrypted, HttpOnly cookie. Without one, the API answers 401: no anonymous reads
  or writes.
Writes also need a CSRF token (`X-CSRF-Token`, bound to the session) and, when the
browser sends one, a same-origin `Origin`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client import ApiClient

from kairflow.ui.kube import ApiError, UserApi

COOKIE = "kairflow-session"
CSRF_HEADER = "X-CSRF-Token"
_CLIENT_CACHE = 64


class Unauthenticated(Exception):
    """No usable credentials on the request."""


@dataclass(frozen=True)
class Session:
    """The person behind a request: an opaque identity (never the token itself) and
    their API access."""

    identity: str
    api: UserApi


class Auth(Protocol):
    mode: str
    secret: bytes

    async def session(self, request: web.Request) -> Session: ...
    async def login(self, request: web.Request, response: web.StreamResponse) -> bool: ...
    async def close(self) -> None: ...


AUTH_KEY: web.AppKey[Auth] = web.AppKey("auth")
SESSION: web.RequestKey[Session] = web.RequestKey("session")


def csrf_token(auth: Auth, session: Session) -> str:
    return hmac.new(auth.secret, session.identity.encode(), hashlib.sha256).hexdigest()


def csrf_ok(auth: Auth, session: Session, request: web.Request) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent, csrf_token(auth, session)):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin in {f"http://{request.host}", f"https://{request.host}"}


def _over_https(request: web.Request) -> bool:
    """Served over TLS here, or by an ingress / proxy in front that terminates it (its
    X-Forwarded-Proto). Trusting the header is safe: it can only make the cookie
    stricter (Secure), never send it where it would not have gone."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def _set_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="Strict",
        secure=_over_https(request),
        path="/",
    )


@dataclass
class KubeconfigAuth:
    """`kairflow ui`: one user, their kubeconfig, a login secret printed once."""

    kubeconfig: str | None
    context: str | None
    mode: str = "kubeconfig"
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    login_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    _sessions: set[str] = field(default_factory=set)
    _api: UserApi | None = None

    async def start(self) -> None:
        configuration = client.Configuration()
        await config.load_kube_config(
            config_file=self.kubeconfig,
            context=self.context,
            client_configuration=configuration,
        )
        self._api = UserApi(ApiClient(configuration))

    async def session(self, request: web.Request) -> Session:
        cookie = request.cookies.get(COOKIE, "")
        if cookie not in self._sessions or self._api is None:
            raise Unauthenticated("open the URL that `kairflow ui` printed to sign in")
        return Session(identity=cookie, api=self._api)

    async def login(self, request: web.Request, response: web.StreamResponse) -> bool:
        given = request.query.get("token", "")
        if not hmac.compare_digest(given, self.login_secret):
            return False
        session = secrets.token_urlsafe(24)
        self._sessions.add(session)
        _set_cookie(request, response, session)
        return True

    async def close(self) -> None:
        if self._api is not None:
            await self._api.close()


@dataclass
class TokenAuth:
    """In the cluster: every request carries the user's bearer token."""

    api_server: str
    ca_file: str | None
    mode: str = "token"
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _clients: OrderedDict[str, UserApi] = field(default_factory=OrderedDict)

    @property
    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(self.secret).digest()))

    def _token(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer ") and header[7:].strip():
            return header[7:].strip()
        cookie = request.cookies.get(COOKIE)
        if cookie:
            try:
                return self._fernet.decrypt(cookie.encode()).decode()
            except InvalidToken:
                pass
        raise Unauthenticated("sign in with a Kubernetes bearer token")

    def _identity(self, token: str) -> str:
        return hashlib.sha256(self.secret + token.encode()).hexdigest()

    def _client(self, token: str) -> UserApi:
        configuration = client.Configuration()
        configuration.host = self.api_server
        # Always verified: without a CA file, against the system's trusted CAs (the
        # token must never go to a server that is not the cluster's).
        configuration.ssl_ca_cert = self.ca_file
        # A default header rather than `api_key`, whose key kubernetes_asyncio renamed
        # ("authorization", then "BearerToken"): a wrong one sends no token at all,
        # and the API server then answers as system:anonymous.
        return UserApi(
            ApiClient(configuration, header_name="Authorization", header_value=f"Bearer {token}")
        )

    async def _keep(self, identity: str, api: UserApi) -> None:
        self._clients[identity] = api
        while len(self._clients) > _CLIENT_CACHE:
            _, oldest = self._clients.popitem(last=False)
            await oldest.close()

    async def session(self, request: web.Request) -> Session:
        token = self._token(request)
        identity = self._identity(token)
        api = self._clients.pop(identity, None) or self._client(token)
        await self._keep(identity, api)
        return Session(identity=identity, api=api)

    async def login(self, request: web.Request, response: web.StreamResponse) -> bool:
        """Sign in with a token the API server accepts (a wrong one is refused here,
        not on every page afterwards)."""
        form = await request.post()
        token = str(form.get("token") or "").strip()
        if not token:
            return False
        api = self._client(token)
        try:
            await api.authenticate()
        except ApiError as exc:
            await api.close()
            if exc.status == 401:
                return False
            raise
        await self._keep(self._identity(token), api)
        _set_cookie(request, response, self._fernet.encrypt(token.encode()).decode())
        return True

    async def close(self) -> None:
        for api in self._clients.values():
            await api.close()
        self._clients.clear()
