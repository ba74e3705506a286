"""`kairflow dags test` of a file that brings its Pools: their slots hold, as on a
cluster; a pool the file does not define is not limited (there is no operator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kairflow.core.pools import UNLIMITED, local_pools
from tests.cli import kairflow
from tests.unit.core.observed import spec


@pytest.mark.parametrize(
    ("tasks", "pools", "expected"),
    [
        pytest.param(
            [{"name": "a", "bash": "x", "pool": "db"}],
            {"db": 1},
            {"db": 1},
            id="a pool the file defines has its slots",
        ),
        pytest.param(
            [{"name": "a", "bash": "x", "pool": "api"}],
            {"db": 1},
            {"api": UNLIMITED, "db": 1},
            id="a pool the file does not define is unlimited",
        ),
        pytest.param(
            [{"name": "a", "bash": "x"}],
            {},
            {"default_pool": UNLIMITED},
            id="a task naming no pool uses an unlimited default_pool",
        ),
    ],
)
def test_local_pool_sizes(
    tasks: list[dict[str, str]], pools: dict[str, int], expected: dict[str, int]
) -> None:
    assert local_pools(spec(tasks=tasks), pools) == expected


def test_a_pool_of_one_slot_in_the_file_runs_its_tasks_one_at_a_time(tmp_path: Path) -> None:
    def stamps(task: str) -> str:
        return (
            f"date +%s.%N > {tmp_path}/{task}.start; sleep 0.4; date +%s.%N > {tmp_path}/{task}.end"
        )

    path = tmp_path / "pooled.yaml"
    path.write_text(
        "apiVersion: kairflow.io/v1alpha1\nkind: Pool\nmetadata: {name: one}\nspec: {slots: 1}\n"
        "---\napiVersion: kairflow.io/v1alpha1\nkind: DAG\nmetadata: {name: pooled}\nspec:\n"
        "  tasks:\n"
        + "".join(f"  - {{name: {t}, pool: one, bash: '{stamps(t)}'}}\n" for t in ("a", "b"))
    )
    result = kairflow("dags", "test", str(path), "-o", "json")
    assert result.exit_code == 0, result.stderr

    def read(name: str) -> float:
        return float((tmp_path / name).read_text())

    first, second = sorted(("a", "b"), key=lambda t: read(f"{t}.start"))
    assert read(f"{second}.start") >= read(f"{first}.end"), "both held the one slot at once"
