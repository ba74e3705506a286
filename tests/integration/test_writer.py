"""The operator's writes against the real API server, through the operator's own client
(`k8s.client`): a pod created once, a second create of the same name is no error, a
pod the API refuses for good says why in the API's words, a fan-out goes through the
client-side parallelism bound, and Events are posted (or, refused, only logged)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from kairflow.k8s.client import operator_client
from kairflow.k8s.events import EventPoster
from kairflow.k8s.rate_limit import ApiLimiter
from kairflow.k8s.writes import Rejected, Writer
from tests.integration.kube import Kube


def pod(name: str, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "base", "image": "busybox", **container}],
        },
    }


async def _with_writer(kubeconfig: Path, parallel: int, work: Any) -> Any:
    async with await operator_client(str(kubeconfig)) as api:
        return await work(Writer(api, ApiLimiter(parallel=parallel)))


def test_pod_creates_are_idempotent_and_refusals_are_final(
    kube: Kube, kubeconfig: Path, service_account_ready: str
) -> None:
    namespace = service_account_ready

    async def work(writer: Writer) -> tuple[bool, bool, str]:
        first = await writer.create_pod(namespace, pod("p1"))
        again = await writer.create_pod(namespace, pod("p1"))
        with pytest.raises(Rejected) as refused:
            await writer.create_pod(
                namespace, pod("p2", volumeMounts=[{"name": "nowhere", "mountPath": "/x"}])
            )
        return first, again, str(refused.value)

    first, again, refused = asyncio.run(_with_writer(kubeconfig, 4, work))
    assert (first, again) == (True, False)
    assert refused.startswith('Pod "p2" is invalid')
    assert "nowhere" in refused and "\n" not in refused
    assert kube.core.read_namespaced_pod("p1", namespace).metadata.name == "p1"


def test_a_fan_out_creates_every_pod_through_a_small_parallelism(
    kube: Kube, kubeconfig: Path, service_account_ready: str
) -> None:
    namespace = service_account_ready

    async def work(writer: Writer) -> list[bool]:
        return list(
            await asyncio.gather(*(writer.create_pod(namespace, pod(f"f{i}")) for i in range(40)))
        )

    assert asyncio.run(_with_writer(kubeconfig, 3, work)) == [True] * 40
    names = {p.metadata.name for p in kube.core.list_namespaced_pod(namespace).items}
    assert {f"f{i}" for i in range(40)} <= names


def test_events_are_posted_and_a_refused_one_is_only_logged(
    kube: Kube, kubeconfig: Path, service_account_ready: str, caplog: pytest.LogCaptureFixture
) -> None:
    namespace = service_account_ready
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": namespace}}
    gone = {**obj, "metadata": {"name": "p", "namespace": "no-such-namespace"}}

    async def work(writer: Writer) -> None:
        events = EventPoster(writer.api, instance="test")
        events.post(obj, "Normal", "Posted", "an event")
        events.post(gone, "Warning", "Refused", "nowhere to go")
        await events.drain()

    with caplog.at_level(logging.WARNING, logger="kairflow.k8s.events"):
        asyncio.run(_with_writer(kubeconfig, 4, work))
    posted = kube.core.list_namespaced_event(namespace).items
    assert [(e.reason, e.message, e.involved_object.name) for e in posted] == [
        ("Posted", "an event", "p")
    ]
    assert "could not post event Refused" in caplog.text
    assert "no-such-namespace" in caplog.text
