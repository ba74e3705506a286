"""A TaskInstanceSlice CRD older than sealed blocks (`helm upgrade` does not update
CRDs) refuses a block: the operator stops sealing and the run keeps its records,
losing none, rather than retrying a write that can never succeed."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client import ApiException

from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag, run

ITEMS = 8
MAPPED = [{"name": "m", "bash": "echo {{ item }}", "expand": {"items": list(range(ITEMS))}}]


def test_blocks_refused_by_an_old_crd_leave_every_record_in_the_run() -> None:
    h = ControllerHarness(utc("2026-12-07T12:00:00Z"), map_window=3)
    create = h.cluster.create

    async def old_crd(namespace: str, plural: str, body: dict[str, Any]) -> bool:
        if plural == "taskinstanceslices" and "task" in body["spec"]:
            raise ApiException(status=422, reason="spec.slices: Required value")
        return await create(namespace, plural, body)

    h.cluster.create = old_crd  # type: ignore[method-assign]
    h.apply("dags", dag(tasks=MAPPED))
    h.apply("dagruns", run("r1"))
    refused = 0
    for _ in range(40):
        try:
            h.settle()
        except ApiException:
            refused += 1
            continue
        status = h.status("dagruns", "r1")
        if status.get("state") == "success":
            break
        for i in range(ITEMS):
            name = f"r1-m-{i}-1"
            pod = h.cluster.objects.get(("pods", NS, name))
            if pod is not None and (pod.get("status") or {}).get("phase") != "Succeeded":
                h.pod_status(name, "Succeeded", 0)
    assert refused == 1 and not h.runtime.blocks_accepted
    status = h.status("dagruns", "r1")
    assert status["state"] == "success"
    assert sorted(k for k in status["taskInstances"] if k.startswith("m[")) == sorted(
        f"m[{i}]" for i in range(ITEMS)
    )
    assert not any(p == "taskinstanceslices" for p, _, _ in h.cluster.objects)
