"""An operator upgraded without the Pool CRD (`helm upgrade` leaves new CRDs out)
starts, with the operator's pools only; other API errors still stop it."""

from __future__ import annotations

import asyncio

import pytest
from kubernetes_asyncio.client import ApiException

from kairflow.controller.handlers import list_pools
from tests.unit.controller.listing import Listing

POOL = {"metadata": {"name": "db", "namespace": "team"}, "spec": {"slots": 1}}


def test_pools_are_listed_when_the_crd_is_there() -> None:
    assert [p["metadata"]["name"] for p in asyncio.run(list_pools(Listing(None, POOL), ()))] == [
        "db"
    ]  # type: ignore[arg-type]


def test_no_pool_crd_means_no_pools() -> None:
    assert asyncio.run(list_pools(Listing(404, POOL), ())) == []  # type: ignore[arg-type]


def test_other_api_errors_are_not_hidden() -> None:
    with pytest.raises(ApiException):
        asyncio.run(list_pools(Listing(403, POOL), ()))  # type: ignore[arg-type]
