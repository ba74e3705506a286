"""The operator's own watch of its task pods (`controller.pod_watch`), on scripted
LISTs and WATCH streams: what reaches the cache and the run queue, where a stream
resumes from, and when it lists again. The HTTP calls are the only thing replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from kairflow.controller import pod_watch
from kairflow.controller.pod_watch import PodWatch
from kairflow.controller.runtime import Runtime
from tests.unit.controller.harness import NS, ControllerHarness

RUN = (NS, "etl-1")
Event = tuple[str, dict[str, Any]]


def pod(name: str, version: str, phase: str = "Running", **labels: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "resourceVersion": version,
            "labels": {"kairflow.io/dag-run": RUN[1], **labels},
            "ownerReferences": [{"kind": "DagRun", "name": RUN[1], "controller": True}],
        },
        "status": {"phase": phase},
    }


def bookmark(version: str) -> Event:
    return "BOOKMARK", {"metadata": {"resourceVersion": version}}


GONE: Event = ("ERROR", {"code": 410, "message": "too old resource version"})


class Broken(Exception):
    pass


class ScriptedWatch(PodWatch):
    """LISTs and WATCH streams from a script; each stream an event list, or an
    exception raised once its events are out. Stops when the script runs out."""

    def __init__(
        self, rt: Runtime, lists: list[list[dict[str, Any]]], streams: list[list[Any]]
    ) -> None:
        super().__init__(rt, api=None, namespace=NS, ignored=_never)  # type: ignore[arg-type]
        self.lists, self.streams = lists, streams
        self.watched_from: list[str | None] = []
        self.listings = 0

    async def _listed(self, token: str | None) -> dict[str, Any]:
        """A list of the script a page of two pods at a time."""
        if token is None:
            self.listings += 1
            items = self.lists.pop(0)
            self._pages = [items[i : i + 2] for i in range(0, 99, 2)]
        page = self._pages.pop(0)
        more = any(self._pages)
        meta = {"resourceVersion": f"list{self.listings}", "continue": "more" if more else ""}
        return {"metadata": meta, "items": page}

    async def _stream(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        if not self.streams:
            raise Done
        self.watched_from.append(self.version)
        for item in self.streams.pop(0):
            if isinstance(item, Exception):
                raise item
            yield item


class Done(BaseException):
    """The script ran out (a BaseException: the watch's own handling passes it)."""


async def _never(body: Mapping[str, Any]) -> bool:
    return False


def run_script(
    lists: list[list[dict[str, Any]]], streams: list[list[Any]]
) -> tuple[ScriptedWatch, ControllerHarness]:
    h = ControllerHarness(datetime(2026, 12, 7, tzinfo=UTC))
    watch = ScriptedWatch(h.runtime, lists, streams)
    with pytest.raises(Done):
        h.run(watch._run())
    return watch, h


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pod_watch, "BACKOFF", (0,))


def test_a_listed_pod_is_cached_and_its_run_synced() -> None:
    watch, h = run_script([[pod("p1", "5")]], [])
    assert list(h.runtime.cache.pods_by_run[RUN]) == ["p1"]
    assert RUN in h.queued()["dagruns"]
    assert watch.version == "list1"


def test_a_stream_resumes_from_the_last_version_it_saw_bookmarks_too() -> None:
    streams = [
        [("ADDED", pod("p1", "7")), ("MODIFIED", pod("p1", "8", "Succeeded"))],
        [bookmark("12")],
        [("DELETED", pod("p1", "13"))],
    ]
    watch, h = run_script([[]], streams)
    assert watch.watched_from == ["list1", "8", "12"]
    assert watch.listings == 1  # an ended stream is resumed, not listed again
    assert not h.runtime.cache.pods_by_run[RUN]


def test_a_version_too_old_lists_again_at_once_and_forgets_pods_deleted_meanwhile() -> None:
    lists = [[pod("p1", "5"), pod("p2", "6")], [pod("p2", "9")]]
    watch, h = run_script(lists, [[GONE], []])
    assert watch.listings == 2 and watch.watched_from == ["list1", "list2"]
    assert list(h.runtime.cache.pods_by_run[RUN]) == ["p2"]


def test_a_broken_stream_lists_again_after_a_pause() -> None:
    lists = [[pod("p1", "5")], [pod("p1", "5"), pod("p3", "11")]]
    watch, h = run_script(lists, [[("ADDED", pod("p2", "10")), Broken("reset")], []])
    assert watch.listings == 2
    assert sorted(h.runtime.cache.pods_by_run[RUN]) == ["p1", "p3"]  # p2 is gone


def test_an_ended_pod_of_a_sealed_instance_is_not_cached() -> None:
    h = ControllerHarness(datetime(2026, 12, 7, tzinfo=UTC))
    record = {"mapLength": 300, "mapNext": 300, "mapBlock": 128, "mapSealed": {"0": "success:128"}}
    h.runtime.cache.runs[RUN] = {
        "metadata": {"name": RUN[1], "namespace": NS},
        "status": {"taskInstances": {"m": record}},
    }
    sealed = {"kairflow.io/task": "m", "kairflow.io/map-index": "5"}
    later = {"kairflow.io/task": "m", "kairflow.io/map-index": "200"}
    h.runtime.cache.put_pod(RUN, pod("sealed", "1", "Succeeded", **sealed))
    h.runtime.cache.put_pod(RUN, pod("running", "2", "Running", **sealed))
    h.runtime.cache.put_pod(RUN, pod("later", "3", "Succeeded", **later))
    assert sorted(h.runtime.cache.pods_by_run[RUN]) == ["later", "running"]


def test_a_long_list_is_read_a_page_at_a_time() -> None:
    pods = [pod(f"p{i}", str(i)) for i in range(5)]
    watch, h = run_script([pods], [])
    assert sorted(h.runtime.cache.pods_by_run[RUN]) == [f"p{i}" for i in range(5)]
    assert watch.listings == 1


class Answer:
    def __init__(self, status: int) -> None:
        self.status = status

    async def text(self) -> str:
        return '{"kind":"Status","message":"busy"}'


@pytest.mark.parametrize(
    ("status", "raised"),
    [
        pytest.param(410, pod_watch.Gone, id="410: the version is gone, list again at once"),
        pytest.param(429, RuntimeError, id="429: the apiserver is busy, list again later"),
        pytest.param(503, RuntimeError, id="503: the apiserver restarts, list again later"),
    ],
)
def test_an_answer_that_is_no_list_or_stream_is_an_error(
    status: int, raised: type[Exception]
) -> None:
    h = ControllerHarness(datetime(2026, 12, 7, tzinfo=UTC))
    with pytest.raises(raised):
        h.run(pod_watch._check(Answer(status)))  # type: ignore[arg-type]
