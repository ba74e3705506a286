"""A watch on a namespace's DagRuns that keeps every change in the apiserver's order,
for checks polling could miss (runs in flight at once, creation order, states)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubernetes import watch

from kairflow.api.common import GROUP, VERSION
from tests.integration.helpers import runs
from tests.integration.kube import Background, Kube, wait_for

FINISHED = ("success", "failed")


def in_flight(run: dict[str, Any]) -> bool:
    """What the Backfill counts against its maxActiveRuns: a run not finished, or one
    with a clear request its controller has not handled yet."""
    status = run.get("status") or {}
    clear = (run.get("spec") or {}).get("clear") or {}
    clearing = bool(clear) and clear.get("id") != status.get("handledClear")
    return status.get("state") not in FINISHED or clearing


class RunWatch(Background):
    """Every change of the namespace's DagRuns in the apiserver's order (a watch from a
    LIST), to check what polling could miss: how many runs were ever in flight at
    once, in which order runs were created, which states a run went through."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        super().__init__("run-watch")
        self.kube, self.namespace = kube, namespace
        listed = kube.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, "dagruns")
        self.initial: list[dict[str, Any]] = listed["items"]
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.error: BaseException | None = None
        self._rv = listed["metadata"]["resourceVersion"]

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                stream = watch.Watch().stream(
                    self.kube.custom.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    "dagruns",
                    resource_version=self._rv,
                    timeout_seconds=2,  # to look at _stop now and then
                )
                for event in stream:
                    assert event["type"] != "ERROR", event["object"]
                    self._rv = event["object"]["metadata"]["resourceVersion"]
                    self.events.append((event["type"], event["object"]))
                    if self._stop.is_set():
                        return
        except BaseException as exc:  # reported by the assertions that read events
            self.error = exc

    def views(self) -> Iterator[dict[str, dict[str, Any]]]:
        """The namespace's runs (name -> body) after each event, first to last."""
        assert self.error is None, f"the DagRun watch failed: {self.error!r}"
        view = {r["metadata"]["name"]: r for r in self.initial}
        for kind, body in list(self.events):
            if kind == "DELETED":
                view.pop(body["metadata"]["name"], None)
            else:
                view[body["metadata"]["name"]] = body
            yield view

    def caught_up(self) -> None:
        """Until the watch has seen every run as the API has it now."""

        def versions(view: dict[str, dict[str, Any]]) -> dict[str, str]:
            return {n: r["metadata"]["resourceVersion"] for n, r in view.items()}

        def same() -> bool:
            now = {r["metadata"]["name"]: r for r in runs(self.kube, self.namespace)}
            last = {r["metadata"]["name"]: r for r in self.initial}
            for view in self.views():
                last = view
            return versions(now) == versions(last)

        wait_for(same, what="the DagRun watch to catch up")

    def max_in_flight(self) -> int:
        """The most runs in flight at once, as the API had them; except that a run
        whose very next version is finished counts as finished already. The operator
        knows a run finished a moment before that status write lands (the DagRun
        controller puts the status it plans in its cache before writing it), so a
        Backfill may start the next run in between: no run more doing any work."""
        events = list(self.events)
        finishing: list[set[str]] = []  # per event: runs whose next version is finished
        upcoming: set[str] = set()
        for _, body in reversed(events):
            finishing.append(set(upcoming))
            name = body["metadata"]["name"]
            upcoming.discard(name)
            if not in_flight(body):
                upcoming.add(name)
        finishing.reverse()
        most = 0
        for view, done_next in zip(self.views(), finishing, strict=True):
            most = max(most, sum(in_flight(r) and n not in done_next for n, r in view.items()))
        return most

    def history(self) -> list[str]:
        """The events, one line each: for assertion messages."""
        lines = []
        for kind, body in list(self.events):
            status, spec = body.get("status") or {}, body.get("spec") or {}
            clear = (spec.get("clear") or {}).get("id"), status.get("handledClear")
            rv, date = body["metadata"]["resourceVersion"], spec["logicalDate"][:10]
            lines.append(f"{rv} {kind} {date} {status.get('state')} clear={clear}")
        return lines

    def created(self) -> list[str]:
        """Logical dates (YYYY-MM-DD) of the runs created while watching, in order."""
        assert self.error is None, f"the DagRun watch failed: {self.error!r}"
        return [b["spec"]["logicalDate"][:10] for kind, b in list(self.events) if kind == "ADDED"]

    def states(self, name: str) -> list[str | None]:
        """The states run `name` went through (consecutive repeats collapsed)."""
        seen: list[str | None] = []
        for view in self.views():
            if name in view:
                state = (view[name].get("status") or {}).get("state")
                if not seen or seen[-1] != state:
                    seen.append(state)
        return seen
