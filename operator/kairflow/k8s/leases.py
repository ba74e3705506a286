"""The Leases (coordination.k8s.io/v1) operator replicas announce themselves with,
when they share the DAGs (docs/sharding.md): one Lease per replica, in one
namespace, labelled with the replica group. Who owns what is `core.sharding`'s
call; this module only writes our Lease and reads the group's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient, ApiException

from kairflow.core import labels
from kairflow.core.naming import is_resource_name, stable_hash
from kairflow.core.sharding import LeaseRecord
from kairflow.core.times import kube_micro_time
from kairflow.k8s.writes import api_error

log = logging.getLogger(__name__)
API_VERSION = "coordination.k8s.io/v1"


def lease_name(group: str, identity: str) -> str:
    """`<group>-shard-<identity>`, or a hash of both when that is not a valid name."""
    name = f"{group}-shard-{identity}"
    return name if is_resource_name(name) else f"{group[:40]}-shard-{stable_hash(group, identity)}"


def lease_manifest(
    group: str,
    identity: str,
    namespace: str,
    duration: timedelta,
    acquired: datetime,
    pod_uid: str = "",
) -> dict[str, Any]:
    """A replica's Lease, acquired (and renewed) at `acquired`. With the operator pod's
    uid it is owned by the pod (named `identity`), so it goes with the pod."""
    metadata: dict[str, Any] = {
        "name": lease_name(group, identity),
        "namespace": namespace,
        "labels": {labels.SHARD_GROUP: group, "app.kubernetes.io/part-of": "kairflow"},
        "annotations": {labels.SHARD_IDENTITY: identity},
    }
    if pod_uid:
        metadata["ownerReferences"] = [
            {"apiVersion": "v1", "kind": "Pod", "name": identity, "uid": pod_uid}
        ]
    at = kube_micro_time(acquired)
    spec = {
        "holderIdentity": identity,
        "leaseDurationSeconds": max(1, round(duration.total_seconds())),
        "acquireTime": at,
        "renewTime": at,
    }
    return {"apiVersion": API_VERSION, "kind": "Lease", "metadata": metadata, "spec": spec}


def lease_record(body: dict[str, Any]) -> LeaseRecord | None:
    """What `core.sharding` needs of a Lease: no holder is a Lease released on a clean
    stop. None for a Lease that names no replica at all."""
    spec = body.get("spec") or {}
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    holder = spec.get("holderIdentity")
    identity = annotations.get(labels.SHARD_IDENTITY) or holder
    if not identity:
        return None
    acquired, renewed = str(spec.get("acquireTime")), str(spec.get("renewTime"))
    return LeaseRecord(str(identity), acquired, renewed, released=not holder)


async def _json(response: Any) -> dict[str, Any]:
    """The body of a raw (_preload_content=False) response; an ApiException for an
    error status, as the client would have raised."""
    body: dict[str, Any] = await response.json()
    if response.status >= 400:
        raise api_error(response.status, body)
    return body


RELEASE_ATTEMPTS = 3
"""Reads and writes of our Lease on a release that keeps conflicting."""


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class ShardLeases:
    """Our Lease and the group's, in `namespace`. The times written are the wall
    clock's, for people reading the Lease: replicas judge each other by when they saw
    a renewTime change, on their own clocks (`core.sharding`)."""

    def __init__(
        self,
        api: ApiClient,
        group: str,
        identity: str,
        namespace: str,
        duration: timedelta,
        pod_uid: str = "",
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        self.clock = clock
        self.coordination = client.CoordinationV1Api(api)
        self.group, self.identity, self.namespace = group, identity, namespace
        self.duration, self.pod_uid = duration, pod_uid
        self.name = lease_name(group, identity)
        self._ours: dict[str, Any] | None = None  # as last written: its resourceVersion

    async def acquire(self) -> None:
        """(Re)write our Lease as a new incarnation, acquired now: the others treat us
        as a newcomer. Overwrites a Lease of ours left by an earlier run."""
        body = lease_manifest(
            self.group, self.identity, self.namespace, self.duration, self.clock(), self.pod_uid
        )
        try:
            self._ours = await _json(
                await self.coordination.create_namespaced_lease(
                    self.namespace, cast(Any, body), _preload_content=False
                )
            )
        except ApiException as exc:
            if exc.status != 409:
                raise
            current = await self._read()
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            await self._replace(body)

    async def renew(self) -> None:
        """Write renewTime = now under our last resourceVersion. A conflict or a
        missing Lease raises: this renewal does not count, and the next acquires
        the Lease anew (a new incarnation: the others may have dropped us)."""
        if self._ours is None:
            await self.acquire()
            return
        renewed = kube_micro_time(self.clock())
        body = {**self._ours, "spec": {**self._ours["spec"], "renewTime": renewed}}
        try:
            await self._replace(body)
        except ApiException as exc:
            if exc.status in (404, 409):
                self._ours = None  # read or create it afresh next time
            raise

    async def _read(self) -> dict[str, Any]:
        return await _json(
            await self.coordination.read_namespaced_lease(
                self.name, self.namespace, _preload_content=False
            )
        )

    async def _replace(self, body: dict[str, Any]) -> None:
        self._ours = await _json(
            await self.coordination.replace_namespaced_lease(
                self.name, self.namespace, cast(Any, body), _preload_content=False
            )
        )

    async def members(self) -> list[LeaseRecord]:
        """The group's Leases, ours included."""
        found = await _json(
            await self.coordination.list_namespaced_lease(
                self.namespace,
                label_selector=f"{labels.SHARD_GROUP}={self.group}",
                _preload_content=False,
            )
        )
        records = (lease_record(item) for item in found.get("items") or [])
        return [record for record in records if record is not None]

    async def release(self) -> None:
        """Give up our Lease on a clean stop, once we act on nothing any more: no
        holder (as client-go's leader election releases). The others take our DAGs at
        their next poll, not a Lease duration later. The Lease itself stays (the
        chart's pods own theirs: it goes with the pod); our next start re-acquires it.

        The Lease is read first, not taken as last written: a renewal cut short by
        the stop may have landed without our knowing its resourceVersion (a release
        under the old one conflicted, and the Lease stayed held)."""
        for _ in range(RELEASE_ATTEMPTS):
            try:
                current = await self._read()
                spec = current.get("spec") or {}
                if spec.get("holderIdentity") != self.identity:
                    return  # gone, or never acquired: nothing of ours to give up
                spec = {k: v for k, v in spec.items() if k != "holderIdentity"}
                await self._replace({**current, "spec": {**spec, "leaseDurationSeconds": 1}})
                return
            except ApiException as exc:
                if exc.status == 404:
                    return
                if exc.status != 409:
                    log.warning("could not release Lease %s: %s", self.name, exc.reason)
                    return
        log.warning("could not release Lease %s: it kept changing", self.name)
