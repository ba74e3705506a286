"""A fake of the synchronous client's CustomObjectsApi and watch, for the CLI's
`Cluster`: objects in memory, equality and set-based label selectors, RBAC as refused
"verb plural" pairs, a record of every call, watches scripted by the test. No
sockets, no sleeps."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

NS = "etl"
KUBECONFIG = f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:1"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u, namespace: {NS}}}}}]
current-context: x
"""


def _selected(body: dict[str, Any], selector: str | None) -> bool:
    labels = (body.get("metadata") or {}).get("labels") or {}
    if not selector:
        return True
    if " in (" in selector:
        key, values = selector.split(" in (", 1)
        return labels.get(key) in values.rstrip(")").split(",")
    key, value = selector.split("=", 1)
    return bool(labels.get(key) == value)


def _refused(verb: str, plural: str) -> ApiException:
    exc = ApiException(status=403, reason="Forbidden")
    exc.body = json.dumps(
        {"message": f'{plural}.kairflow.io is forbidden: User "alice" cannot {verb} resource'}
    )
    return exc


@dataclass
class FakeCustomApi:
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)
    """"list taskinstanceslices": that call is refused (403)."""
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(verb, plural, label selector or name)."""

    def add(self, plural: str, *bodies: dict[str, Any]) -> None:
        self.objects.setdefault(plural, []).extend(copy.deepcopy(list(bodies)))

    def _check(self, verb: str, plural: str, detail: str | None) -> None:
        self.calls.append((verb, plural, detail))
        if f"{verb} {plural}" in self.refuse:
            raise _refused(verb, plural)

    def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str
    ) -> dict[str, Any]:
        self._check("get", plural, name)
        for body in self.objects.get(plural, []):
            if body["metadata"]["name"] == name and body["metadata"]["namespace"] == namespace:
                return copy.deepcopy(body)
        raise ApiException(status=404, reason="Not Found")

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **kw: Any
    ) -> dict[str, Any]:
        return self._list(plural, namespace, kw.get("label_selector"))

    def list_cluster_custom_object(
        self, group: str, version: str, plural: str, **kw: Any
    ) -> dict[str, Any]:
        return self._list(plural, None, kw.get("label_selector"))

    def _list(self, plural: str, namespace: str | None, selector: str | None) -> dict[str, Any]:
        self._check("list", plural, selector)
        items = [
            copy.deepcopy(body)
            for body in self.objects.get(plural, [])
            if namespace in (None, body["metadata"]["namespace"]) and _selected(body, selector)
        ]
        return {"metadata": {"resourceVersion": "7"}, "items": items}


@dataclass
class FakeWatches:
    """Each watch started, by plural: the events it sends, then it ends. A watch of
    runs sends its first event (the run now, as a watch with no resourceVersion does)
    and waits for the slices' watch to have sent all of its own before going on, so
    a test reads one order of events. With `held`, a watch that has sent its events
    stays open, as a real one does until its timeout, until its Watch is stopped."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    started: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    slices_sent: threading.Event = field(default_factory=threading.Event)
    held: bool = False
    open: int = 0
    """How many watches are open now."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stream(
        self, stopped: threading.Event, call: Any, *args: Any, **kw: Any
    ) -> Iterator[dict[str, Any]]:
        plural = args[-1]
        self.started.append((plural, kw))
        events = self._dagruns() if plural == "dagruns" else self._others(plural)
        return self._opened(events, stopped)

    def _opened(
        self, events: Iterator[dict[str, Any]], stopped: threading.Event
    ) -> Iterator[dict[str, Any]]:
        stopped.clear()  # as the client's stream does: a stop before it starts is lost
        with self._lock:
            self.open += 1
        try:
            yield from events
            if self.held:
                stopped.wait(30)
        finally:
            with self._lock:
                self.open -= 1

    def _dagruns(self) -> Iterator[dict[str, Any]]:
        events = self.events.get("dagruns", [])
        yield from copy.deepcopy(events[:1])
        self.slices_sent.wait(10)
        yield from copy.deepcopy(events[1:])

    def _others(self, plural: str) -> Iterator[dict[str, Any]]:
        try:
            yield from copy.deepcopy(self.events.get(plural, []))
        finally:
            self.slices_sent.set()


class _Watch:
    def __init__(self, watches: FakeWatches) -> None:
        self._watches = watches
        self._stopped = threading.Event()

    def stream(self, call: Any, *args: Any, **kw: Any) -> Iterator[dict[str, Any]]:
        return self._watches.stream(self._stopped, call, *args, **kw)

    def stop(self) -> None:
        self._stopped.set()


def install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, objects: Iterable[tuple[str, dict[str, Any]]]
) -> tuple[FakeCustomApi, FakeWatches, str]:
    """The fakes in place of the client's; returns them and a kubeconfig naming them."""
    api, watches = FakeCustomApi(), FakeWatches()
    for plural, body in objects:
        api.add(plural, body)
    monkeypatch.setattr(client, "CustomObjectsApi", lambda _api=None: api)
    monkeypatch.setattr(watch, "Watch", lambda: _Watch(watches))
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    return api, watches, str(path)
