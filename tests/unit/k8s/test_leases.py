"""A replica's Lease as written, and as read back by the others (no I/O here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.core.naming import is_resource_name
from kairflow.core.sharding import LeaseRecord
from kairflow.k8s.leases import lease_manifest, lease_name, lease_record

AT = datetime(2026, 12, 1, 8, 30, 5, 250000, tzinfo=UTC)


def test_a_lease_names_its_replica_and_is_owned_by_its_pod() -> None:
    body = lease_manifest("kairflow", "kf-shard-7d9-x2", "ops", timedelta(seconds=15), AT, "u-1")
    assert body["metadata"]["name"] == "kairflow-shard-kf-shard-7d9-x2"
    assert body["metadata"]["labels"]["kairflow.io/shard-group"] == "kairflow"
    assert body["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Pod", "name": "kf-shard-7d9-x2", "uid": "u-1"}
    ]
    assert body["spec"] == {
        "holderIdentity": "kf-shard-7d9-x2",
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-12-01T08:30:05.250000Z",
        "renewTime": "2026-12-01T08:30:05.250000Z",
    }
    assert lease_record(body) == LeaseRecord(
        "kf-shard-7d9-x2", "2026-12-01T08:30:05.250000Z", "2026-12-01T08:30:05.250000Z"
    )


def test_a_lease_outside_a_pod_has_no_owner() -> None:
    body = lease_manifest("kairflow", "laptop", "default", timedelta(seconds=15), AT)
    assert "ownerReferences" not in body["metadata"]


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        pytest.param("shard-1", "kairflow-shard-shard-1", id="a plain identity names the Lease"),
        pytest.param("Laptop_Of.Ann", None, id="an identity that is no valid name is hashed"),
        pytest.param("x" * 300, None, id="a long identity is hashed"),
    ],
)
def test_lease_names(identity: str, expected: str | None) -> None:
    name = lease_name("kairflow", identity)
    assert is_resource_name(name)
    if expected is not None:
        assert name == expected
    assert lease_name("kairflow", identity + "2") != name


def test_a_released_lease_still_names_its_replica() -> None:
    body = lease_manifest("kairflow", "shard-1", "ops", timedelta(seconds=15), AT)
    del body["spec"]["holderIdentity"]
    record = lease_record(body)
    assert record is not None and (record.identity, record.released) == ("shard-1", True)
    assert lease_record({"metadata": {}, "spec": {}}) is None
