"""Runs shown by the CLI and the UI get their DAG version's spec: each version is
read once however many runs name it, and a version that cannot be read leaves its
runs as they are."""

from __future__ import annotations

from typing import Any

from kairflow.api.dag import DAGSpec
from kairflow.core.dag_versions import config_map, dag_version
from kairflow.requests.dag_versions import VersionSpecs

SPEC = {"tasks": [{"name": "extract", "bash": "true"}]}
VERSION = config_map(dag_version("etl", DAGSpec.model_validate(SPEC)), "team", "etl", None)
NAME = VERSION["metadata"]["name"]


def run(name: str, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "team"}, "status": status}


def test_runs_of_one_version_need_it_read_once() -> None:
    specs = VersionSpecs()
    runs = [run("r1", dagVersion=NAME), run("r2", dagVersion=NAME), run("r3")]
    assert specs.missing(runs) == [("team", NAME)]
    specs.add(("team", NAME), VERSION)
    assert specs.missing(runs) == []
    given = [specs.given(r) for r in runs]
    assert [g["status"].get("dagSpec") for g in given] == [SPEC, SPEC, None]
    assert "dagSpec" not in runs[0]["status"]  # the run as read is left as it was


def test_a_run_with_its_spec_inline_needs_no_version() -> None:
    specs = VersionSpecs()
    inline = run("r1", dagVersion=NAME, dagSpec={"tasks": []})
    assert specs.missing([inline]) == []
    assert specs.given(inline) is inline


def test_a_version_that_is_gone_or_damaged_leaves_its_runs_without_a_spec() -> None:
    specs = VersionSpecs()
    damaged = {**VERSION, "binaryData": {}}
    specs.add(("team", "gone"), None)
    specs.add(("team", NAME), damaged)
    for name in ("gone", NAME):
        shown = specs.given(run("r1", dagVersion=name))
        assert "dagSpec" not in shown["status"]
    assert specs.missing([run("r1", dagVersion="gone")]) == []  # not read again
