"""`kairflow pools list`: a Pool's row as Airflow's pools page shows it."""

from __future__ import annotations

from typing import Any

import pytest

from kairflow.cli.pools import pool_row


def pool(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "warehouse"}, "spec": {"slots": 2, **spec}, "status": status}


@pytest.mark.parametrize(
    ("body", "wide", "row"),
    [
        pytest.param(
            pool({"running": 2, "queued": 3, "openSlots": 0, "occupiedSlots": 2}),
            False,
            ["warehouse", "2", "2", "3", "0"],
            id="a full pool with three task instances waiting for a slot",
        ),
        pytest.param(
            pool(),
            False,
            ["warehouse", "2", "", "", ""],
            id="a pool the operator has not counted yet shows blanks, not zeros",
        ),
        pytest.param(
            pool({"running": 0, "queued": 0, "openSlots": 2, "occupiedSlots": 0}, description="dw"),
            True,
            ["warehouse", "2", "0", "0", "2", "0", "dw"],
            id="wide adds occupied slots and the description",
        ),
    ],
)
def test_a_pools_row(body: dict[str, Any], wide: bool, row: list[str]) -> None:
    assert pool_row(body, wide) == row
