"""A DAG version: one stored copy of a DAG spec, named by its content and checked
when read back."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from kairflow.api.dag import DAGSpec
from kairflow.core import labels
from kairflow.core.dag_versions import (
    SHA256,
    SPEC_KEY,
    VersionError,
    config_map,
    dag_version,
    read_config_map,
)
from kairflow.core.naming import is_resource_name

SPEC = DAGSpec.model_validate({"tasks": [{"name": "extract", "bash": "echo {{ ds }}"}]})
OWNER = {"apiVersion": "kairflow.io/v1alpha1", "kind": "DAG", "name": "etl", "uid": "u-1"}


def spec(**fields: Any) -> DAGSpec:
    return DAGSpec.model_validate({"tasks": [{"name": "extract", "bash": "true"}], **fields})


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        pytest.param(spec(), spec(), True, id="the same spec is the same version"),
        pytest.param(
            DAGSpec.model_validate({"tags": ["b"], "tasks": [{"bash": "true", "name": "extract"}]}),
            spec(tags=["b"]),
            True,
            id="the order the author wrote fields in does not matter",
        ),
        pytest.param(spec(), spec(tags=["x"]), False, id="an edited spec is a new version"),
        pytest.param(
            spec(schedule="@daily"),
            spec(schedule="@hourly"),
            False,
            id="a changed schedule is a new version",
        ),
    ],
)
def test_a_version_is_named_by_its_dag_and_content(
    first: DAGSpec, second: DAGSpec, same: bool
) -> None:
    assert (dag_version("etl", first).name == dag_version("etl", second).name) is same
    assert dag_version("etl", first).name.startswith("etl-dagv-")


@pytest.mark.parametrize(
    "dag_name",
    [
        pytest.param("etl", id="a short DAG name is kept whole"),
        pytest.param("a" * 253, id="a DAG name of the longest allowed is cut to fit"),
        pytest.param("team.etl." + "b" * 240, id="a cut never ends in a dot or dash"),
    ],
)
def test_a_version_name_is_always_a_valid_configmap_name(dag_name: str) -> None:
    name = dag_version(dag_name, SPEC).name
    assert is_resource_name(name) and len(name) <= 253


def test_the_configmap_is_immutable_owned_by_its_dag_and_reads_back_as_the_spec() -> None:
    version = dag_version("etl", SPEC)
    body = config_map(version, "team", "etl", OWNER)
    assert body["immutable"] is True
    assert body["metadata"]["ownerReferences"] == [OWNER]
    assert body["metadata"]["labels"][labels.COMPONENT] == "dag-version"
    assert body["metadata"]["labels"][labels.DAG] == "etl"
    assert DAGSpec.model_validate(read_config_map(body)) == SPEC


def test_a_big_spec_is_stored_much_smaller_than_its_json() -> None:
    tasks = [{"name": f"t{i:05d}", "bash": f"echo {i}"} for i in range(2000)]
    big = DAGSpec.model_validate({"tasks": tasks})
    version = dag_version("big", big)
    stored = base64.b64decode(config_map(version, "team", "big", None)["binaryData"][SPEC_KEY])
    assert len(stored) * 5 < len(version.raw)


def _tampered(body: dict[str, Any], spec_text: bytes) -> dict[str, Any]:
    packed = base64.b64encode(gzip.compress(spec_text)).decode()
    return {**body, "binaryData": {SPEC_KEY: packed}}


BODY = config_map(dag_version("etl", SPEC), "team", "etl", None)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(
            {**BODY, "binaryData": {}}, "holds no readable DAG spec", id="no spec in it at all"
        ),
        pytest.param(
            {**BODY, "binaryData": {SPEC_KEY: "not base64!"}},
            "holds no readable DAG spec",
            id="a spec that is not base64",
        ),
        pytest.param(
            {**BODY, "binaryData": {SPEC_KEY: base64.b64encode(b"plain").decode()}},
            "holds no readable DAG spec",
            id="a spec that is not gzip",
        ),
        pytest.param(
            _tampered(BODY, json.dumps({"tasks": []}).encode()),
            "does not match its checksum",
            id="a spec edited by hand no longer matches its checksum",
        ),
        pytest.param(
            {**BODY, "metadata": {**BODY["metadata"], "annotations": {SHA256: "0" * 64}}},
            "does not match its checksum",
            id="a checksum edited by hand no longer matches the spec",
        ),
    ],
)
def test_a_damaged_version_is_refused_with_its_name(body: dict[str, Any], problem: str) -> None:
    with pytest.raises(VersionError, match=problem) as caught:
        read_config_map(body)
    assert str(BODY["metadata"]["name"]) in str(caught.value)
