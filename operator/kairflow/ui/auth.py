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
from typing import Any, Protocol

from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client import ApiClient, ApiException

from kairflow.ui.kube import UserApi

COOKIE = "kairflow-session"
CSRF_HEADER = "X-CSRF-Token"
_CLIENT_CACHE = 64
_UNAUTHORIZED = 401


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


def _set_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
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

    def _api_for(self, token: str) -> UserApi:
        configuration = client.Configuration()
        configuration.host = self.api_server
        configuration.ssl_ca_cert = self.ca_file
        configuration.verify_ssl = self.ca_file is not None
        configuration.api_key = {"authorization": token}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        return UserApi(ApiClient(configuration))

    async def session(self, request: web.Request) -> Session:
        token = self._token(request)
        identity = hashlib.sha256(self.secret + token.encode()).hexdigest()
        api = self._clients.pop(identity, None) or self._api_for(token)
        self._clients[identity] = api
        while len(self._clients) > _CLIENT_CACHE:
            _, oldest = self._clients.popitem(last=False)
            await oldest.close()
        return Session(identity=identity, api=api)

    async def _accepted(self, token: str) -> bool:
        """Whether the API server authenticates the token: a SelfSubjectAccessReview
        needs no permission, so only a bad token is refused (401)."""
        api = self._api_for(token)
        review: Any = {"spec": {"resourceAttributes": {"verb": "list", "resource": "dags"}}}
        try:
            await client.AuthorizationV1Api(api.api).create_self_subject_access_review(review)
        except ApiException as exc:
            return exc.status != _UNAUTHORIZED
        finally:
            await api.close()
        return True

    async def login(self, request: web.Request, response: web.StreamResponse) -> bool:
        form = await request.post()
        token = str(form.get("token") or "").strip()
        if not token or not await self._accepted(token):
            return False
        _set_cookie(request, response, self._fernet.encrypt(token.encode()).decode())
        return True

    async def close(self) -> None:
        for api in self._clients.values():
            await api.close()
        self._clients.clear()
