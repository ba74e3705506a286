"""An operator upgraded without the Pool CRD (`helm upgrade` leaves new CRDs out)
starts, with the operator's pools only; other API errors still stop it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiException

from kairflow.controller.handlers import list_pools


class Listing:
    def __init__(self, status: int | None) -> None:
        self.status = status

    async def list_all(self, plural: str, namespaces: tuple[str, ...]) -> list[dict[str, Any]]:
        if self.status is not None:
            raise ApiException(status=self.status)
        return [{"metadata": {"name": "db", "namespace": "team"}, "spec": {"slots": 1}}]


def test_pools_are_listed_when_the_crd_is_there() -> None:
    assert [p["metadata"]["name"] for p in asyncio.run(list_pools(Listing(None), ()))] == ["db"]  # type: ignore[arg-type]


def test_no_pool_crd_means_no_pools() -> None:
    assert asyncio.run(list_pools(Listing(404), ())) == []  # type: ignore[arg-type]


def test_other_api_errors_are_not_hidden() -> None:
    with pytest.raises(ApiException):
        asyncio.run(list_pools(Listing(403), ()))  # type: ignore[arg-type]
