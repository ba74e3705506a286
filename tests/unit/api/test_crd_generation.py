"""The checked-in crds/ must be exactly what the models generate."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kairflow.api.crd import RESOURCES, crd_files, crd_manifest, to_structural
from kairflow.api.dag import DAGSpec
from kairflow.api.peering import DEFAULT_PEERING, peering_crds, peering_object
from kairflow.cli.crds import stale_files
from kairflow.controller.settings import OperatorSettings

ROOT = Path(__file__).resolve().parents[3]


def test_checked_in_crds_match_the_models() -> None:
    assert stale_files(ROOT / "crds") == [], "crds/ is stale: run `make crds`"


def test_no_extra_files_in_crds_dir() -> None:
    assert {p.name for p in (ROOT / "crds").glob("*.yaml")} == set(crd_files())


def _walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


@pytest.mark.parametrize("info", RESOURCES, ids=lambda i: i.kind)
def test_schemas_are_structural(info: Any) -> None:
    schema = crd_manifest(info)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    text = json.dumps(schema)
    assert "$ref" not in text
    assert '"null"' not in text
    assert '"title"' not in text
    for node in _walk(schema["properties"]):
        if "properties" in node:
            assert node.get("type") == "object", node
            assert node.get("additionalProperties") is not False


def test_dag_schema_has_enums_required_fields_and_descriptions() -> None:
    spec = to_structural(DAGSpec)
    assert spec["required"] == ["tasks"]
    task = spec["properties"]["tasks"]["items"]
    assert task["required"] == ["name"]
    assert "none_failed_min_one_success" in task["properties"]["triggerRule"]["enum"]
    assert task["properties"]["sensor"]["properties"]["mode"]["enum"] == ["poke", "reschedule"]
    assert task["description"].startswith("One task.")
    assert spec["properties"]["paused"]["default"] is False


def test_crds_are_namespaced_with_status_printer_columns_and_category() -> None:
    for info in RESOURCES:  # ours; kopf's peering CRDs have kopf's shape (below)
        crd = yaml.safe_load(crd_files()[f"{info.name}.yaml"])
        version = crd["spec"]["versions"][0]
        assert crd["spec"]["scope"] == "Namespaced"
        assert version["subresources"] == {"status": {}}
        assert version["additionalPrinterColumns"]
        assert crd["spec"]["names"]["categories"] == ["kairflow"]
        assert crd["spec"]["names"]["shortNames"]


def test_crds_dir_also_has_kopfs_peering_crds() -> None:
    crds = [yaml.safe_load(text) for text in crd_files().values()]
    files = {crd["metadata"]["name"]: crd for crd in crds}
    assert files["kopfpeerings.kopf.dev"] == peering_crds()[1]
    assert files["clusterkopfpeerings.kopf.dev"] == peering_crds()[0]
    scopes = {crd["spec"]["names"]["kind"]: crd["spec"]["scope"] for crd in peering_crds()}
    assert scopes == {"ClusterKopfPeering": "Cluster", "KopfPeering": "Namespaced"}
    for crd in peering_crds():
        assert crd["spec"]["group"] == "kopf.dev"
        (version,) = crd["spec"]["versions"]
        assert version["name"] == "v1" and version["served"] and version["storage"]
        status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
        assert status == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_peering_object_is_cluster_wide_unless_a_namespace_is_given() -> None:
    cluster = peering_object()
    assert OperatorSettings().peering_name == DEFAULT_PEERING  # the operator's default name
    assert (cluster["apiVersion"], cluster["kind"]) == ("kopf.dev/v1", "ClusterKopfPeering")
    assert cluster["metadata"]["name"] == "kairflow"
    assert "namespace" not in cluster["metadata"]
    namespaced = peering_object("team-a", namespace="etl")
    assert namespaced["kind"] == "KopfPeering"
    assert namespaced["metadata"]["name"] == "team-a"
    assert namespaced["metadata"]["namespace"] == "etl"
