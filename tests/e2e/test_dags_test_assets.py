"""`kairflow dags test` of a DAG with outlets says which asset events the operator
would record (it records none: no cluster is involved)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import kairflow, write_dag


def test_dags_test_prints_the_asset_events_of_its_successful_tasks(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: ok, bash: "true", outlets: ["s3://x/ok", "s3://x/both"]}
        - {name: bad, bash: "exit 1", outlets: ["s3://x/bad"]}
        - {name: each, bash: "true", outlets: ["s3://x/each"], expand: {items: [1, 2]}}
        """,
    )
    result = kairflow("dags", "test", str(path), "-o", "json")
    events = json.loads(result.stdout)["asset_events"]
    assert sorted((e["uri"], e["task"], e["map_index"]) for e in events) == [
        ("s3://x/both", "ok", -1),
        ("s3://x/each", "each", 0),
        ("s3://x/each", "each", 1),
        ("s3://x/ok", "ok", -1),
    ], "a failed task records none, each mapped instance its own"
    text = kairflow("dags", "test", str(path))
    assert "would emit an asset event on s3://x/ok (ok)" in text.stderr
    assert "would emit an asset event on s3://x/each (each[1])" in text.stderr
