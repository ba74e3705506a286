"""The UI server against a fake of `kairflow.ui.kube.UserApi`: the user's cluster as
a dict of objects, RBAC as a set of refused verbs (answered with the API server's own
wording), and a record of every write. No network, no sleeps."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kairflow.ui.auth import CSRF_HEADER, Session, csrf_token
from kairflow.ui.kube import ApiError
from kairflow.ui.server import make_app

NS = "team"
USER = "alice"


def forbidden(verb: str, kind: str) -> str:
    """RBAC's message, as the API server words it."""
    return (
        f'{kind}.kairflow.io is forbidden: User "{USER}" cannot {verb} resource "{kind}" '
        f'in API group "kairflow.io" in the namespace "{NS}"'
    )


@dataclass
class FakeUserApi:
    """Objects by (kind, name); `refuse` holds "verb kind" pairs RBAC refuses."""

    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)
    writes: list[tuple[str, str, str, Any]] = field(default_factory=list)

    def add(self, kind: str, *bodies: dict[str, Any]) -> None:
        for body in bodies:
            self.objects[(kind, body["metadata"]["name"])] = copy.deepcopy(body)

    def _check(self, verb: str, kind: str) -> None:
        if f"{verb} {kind}" in self.refuse:
            raise ApiError(403, forbidden(verb, kind), "Forbidden")

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self._check("get", kind)
        found = self.objects.get((kind, name))
        if found is None:
            raise ApiError(404, f'{kind}.kairflow.io "{name}" not found', "NotFound")
        return copy.deepcopy(found)

    async def list_objects(
        self, kind: str, namespace: str, label_selector: str | None = None
    ) -> dict[str, Any]:
        self._check("list", kind)
        wanted = dict(p.split("=", 1) for p in label_selector.split(",")) if label_selector else {}
        items = [
            copy.deepcopy(body)
            for (k, _), body in self.objects.items()
            if k == kind
            and all((body["metadata"].get("labels") or {}).get(a) == b for a, b in wanted.items())
        ]
        return {"metadata": {"resourceVersion": "1"}, "items": items}

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        self._check("create", kind)
        name = body["metadata"]["name"]
        if (kind, name) in self.objects:
            raise ApiError(409, f'{kind}.kairflow.io "{name}" already exists', "AlreadyExists")
        self.writes.append(("create", kind, name, body))
        self.objects[(kind, name)] = copy.deepcopy(body)
        return copy.deepcopy(body)

    async def patch(
        self, kind: str, namespace: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        self._check("patch", kind)
        found = await self.get(kind, namespace, name)
        self.writes.append(("patch", kind, name, body))
        return found

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        self._check("delete", kind)
        await self.get(kind, namespace, name)
        self.writes.append(("delete", kind, name, None))
        del self.objects[(kind, name)]

    async def close(self) -> None:
        return None


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
    body: dict[str, Any]


def call(
    api: FakeUserApi, method: str, path: str, body: Any = None, *, csrf: bool = True
) -> Answer:
    """One request to the UI server, as a signed-in page makes it (with the CSRF
    token on writes)."""

    async def scenario() -> Answer:
        auth = FakeAuth(api)
        client = TestClient(TestServer(make_app(auth, NS)))
        await client.start_server()
        try:
            headers = {CSRF_HEADER: csrf_token(auth, auth.the_session)} if csrf else {}
            response = await client.request(method, path, json=body, headers=headers)
            return Answer(response.status, await response.json())
        finally:
            await client.close()

    return asyncio.run(scenario())


def dag(name: str = "etl", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"tasks": [{"name": "t", "bash": "true"}], **spec},
    }


def dagrun(
    name: str,
    dag_name: str = "etl",
    *,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DagRun",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"kairflow.io/dag": dag_name, **(labels or {})},
            "annotations": annotations or {},
        },
        "spec": {"dagName": dag_name, **(spec or {})},
        "status": status or {},
    }


def writes_of(api: FakeUserApi, verbs: Iterable[str] = ("create", "patch", "delete")) -> list[Any]:
    return [w for w in api.writes if w[0] in verbs]


def threads_calling(monkeypatch: Any, module: Any, function: str) -> list[str]:
    """The names of the threads `module.function` is called in, from now on (to show
    CPU-heavy work is done off the event loop's thread)."""
    threads: list[str] = []
    real = getattr(module, function)

    def recording(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(module, function, recording)
    return threads


def off_the_event_loop(threads: list[str]) -> bool:
    return bool(threads) and threading.main_thread().name not in threads
