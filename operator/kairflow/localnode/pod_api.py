"""The pod writes a scheduler and a kubelet make: binding, status, final deletion."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio import client

from kairflow.core.times import kube_time
from kairflow.localnode.kapi import MERGE_PATCH, KubeError, call, core_api
from kairflow.localnode.scheduling import Pod, key, meta, status

log = logging.getLogger(__name__)


class PodApi:
    def __init__(self, api: client.ApiClient, timeout: float = 30.0) -> None:
        self.core = core_api(api)
        self.timeout = timeout

    async def bind(self, pod: Pod, node_name: str) -> bool:
        """Bind through `pods/binding` (uid-checked); False if someone was faster."""
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta(pod)["name"], "uid": meta(pod)["uid"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        try:
            await call(
                self.core.create_namespaced_pod_binding(
                    meta(pod)["name"],
                    meta(pod)["namespace"],
                    body,
                    _preload_content=False,
                    _request_timeout=self.timeout,
                )
            )
        except KubeError as exc:
            if exc.status in (404, 409):
                log.info("pod %s not bound: %s", key(pod), exc.message)
                return False
            raise
        return True

    async def write_status(self, pod: Pod, new_status: dict[str, Any]) -> None:
        """Merge-patch `status` (lists replaced as a whole); the uid in the patch is a
        precondition, so a pod recreated under the same name answers 409."""
        await call(
            self.core.patch_namespaced_pod_status(
                meta(pod)["name"],
                meta(pod)["namespace"],
                {"metadata": {"uid": meta(pod)["uid"]}, "status": new_status},
                _content_type=MERGE_PATCH,
                _preload_content=False,
                _request_timeout=self.timeout,
            )
        )

    async def write_status_until_done(
        self, pod: Pod, new_status: dict[str, Any], attempts: int = 8
    ) -> bool:
        """Retry a status write a few times; False when the pod is gone or it failed."""
        for attempt in range(attempts):
            try:
                await self.write_status(pod, new_status)
            except KubeError as exc:
                if exc.status in (404, 409):  # gone, or replaced (uid precondition)
                    return False
                log.warning("status of pod %s not written: %s", key(pod), exc)
            except (OSError, TimeoutError) as exc:
                log.warning("status of pod %s not written: %r", key(pod), exc)
            else:
                return True
            await asyncio.sleep(min(0.2 * 2**attempt, 5.0))
        return False

    async def delete_now(self, pod: Pod) -> None:
        """Finish a graceful deletion like a kubelet: delete with grace 0 (uid-checked)."""
        try:
            await call(
                self.core.delete_namespaced_pod(
                    meta(pod)["name"],
                    meta(pod)["namespace"],
                    body={"gracePeriodSeconds": 0, "preconditions": {"uid": meta(pod)["uid"]}},
                    _preload_content=False,
                    _request_timeout=self.timeout,
                )
            )
        except KubeError as exc:
            if exc.status not in (404, 409):
                raise

    async def fail(self, pod: Pod, reason: str, message: str) -> bool:
        """Mark a pod Failed at the pod level, its containers terminated (no process
        is left: e.g. the agent that ran them is gone). False if not written."""
        now = kube_time(datetime.now(UTC))
        statuses = []
        for item in status(pod).get("containerStatuses") or []:
            state = item.get("state") or {}
            if not state.get("terminated"):
                started = (state.get("running") or {}).get("startedAt")
                state = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "Error",
                        "message": message,
                        "startedAt": started,
                        "finishedAt": now,
                    }
                }
            statuses.append({**item, "ready": False, "started": False, "state": state})
        conditions = [
            c
            if c.get("type") not in ("Ready", "ContainersReady")
            else {**c, "status": "False", "reason": "PodCompleted", "lastTransitionTime": now}
            for c in status(pod).get("conditions") or []
        ]
        new_status: dict[str, Any] = {
            "phase": "Failed",
            "reason": reason,
            "message": message,
            "containerStatuses": statuses,
            "conditions": conditions,
        }
        return await self.write_status_until_done(pod, new_status)

    async def unschedulable(self, pod: Pod, message: str) -> bool:
        """kube-scheduler's mark on a pod that found no room: PodScheduled=False.
        True when written now (not when the pod already says so)."""
        for condition in status(pod).get("conditions") or []:
            if condition.get("type") == "PodScheduled" and condition.get("message") == message:
                return False
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": kube_time(datetime.now(UTC)),
        }
        others = [c for c in status(pod).get("conditions") or [] if c.get("type") != "PodScheduled"]
        try:
            await self.write_status(pod, {"conditions": [*others, condition]})
        except KubeError as exc:
            log.info("pod %s: cannot mark unschedulable: %s", key(pod), exc.message)
            return False
        return True
