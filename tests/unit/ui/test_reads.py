"""What pages read: a DAG with its shape, YAML without server noise, a run's diff to
its DAG, a task instance's log by try, namespaces for a user who may not list them."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from typing import Any

from aiohttp.test_utils import TestClient

from kairflow.api.dag import DAGSpec
from kairflow.core.dag_versions import config_map, dag_version
from kairflow.core.naming import pod_name
from kairflow.core.xcom_frame import STORED_KEY
from kairflow.ui.auth import KubeconfigAuth
from kairflow.ui.kube import ApiError
from tests.unit.ui.fake_user_api import FakeUserApi, refusing
from tests.unit.ui.ui_client import signed_in, with_ui

SPEC = {
    "schedule": "@daily",
    "tasks": [{"name": "extract", "bash": "echo"}, {"name": "load", "bash": "echo"}],
    "flow": ["extract >> load"],
}


def run(spec: dict[str, Any], **tis: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "etl-1", "managedFields": [{"manager": "kopf"}]},
        "spec": {"dagName": "etl"},
        "status": {"dagSpec": spec, "taskInstances": tis},
    }


def test_a_dag_comes_with_its_tasks_in_order_and_their_upstream() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.add("dags", {"metadata": {"name": "etl"}, "spec": SPEC})
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dags/etl")).json()
        assert found["scheduleWords"]
        assert [t["name"] for t in found["structure"]["tasks"]] == ["extract", "load"]
        assert found["structure"]["tasks"][1]["upstream"] == ["extract"]

    with_ui(scenario)


def test_yaml_leaves_out_managed_fields() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.add("dagruns", run(SPEC))
        await signed_in(client, auth)
        text = await (await client.get("/api/ns/default/yaml/dagruns/etl-1")).text()
        assert "dagName: etl" in text
        assert "managedFields" not in text

    with_ui(scenario)


def test_a_run_shows_what_changed_in_its_dag_since_it_ran() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.add("dagruns", run(SPEC))
        api.add("dags", {"metadata": {"name": "etl"}, "spec": {**SPEC, "schedule": "@hourly"}})
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1/diff")).json()
        assert "-schedule: '@daily'" in found["diff"]
        assert "+schedule: '@hourly'" in found["diff"]
        assert found["dagExists"] is True

    with_ui(scenario)


def test_a_run_whose_dag_was_deleted_still_shows_what_it_ran() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.objects["dags"].clear()
        api.add("dagruns", run(SPEC))
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1/diff")).json()
        assert found["dagExists"] is False
        assert "extract" in found["ran"]

    with_ui(scenario)


def test_a_run_is_read_without_its_snapshot_but_with_the_shape_it_ran() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.add("dagruns", run(SPEC, extract={"state": "success", "tryNumber": 1}))
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1")).json()
        assert "dagSpec" not in found["status"]
        assert [t["name"] for t in found["structure"]["tasks"]] == ["extract", "load"]

    with_ui(scenario)


def test_the_log_of_an_earlier_try_is_read_from_that_trys_pod() -> None:
    async def scenario(
        client: TestClient[Any, Any], auth: KubeconfigAuth, api: FakeUserApi
    ) -> None:
        api.add(
            "dagruns",
            run(SPEC, extract={"state": "success", "tryNumber": 2, "pod": "etl-1-extract-2"}),
        )
        await signed_in(client, auth)

        first = pod_name("etl-1", "extract", 1, None)
        api.logs[first] = [b"try one\n"]
        api.logs["etl-1-extract-2"] = [b"try two\n"]
        one = await client.get("/api/ns/default/dagruns/etl-1/tis/extract/log?try=1")
        assert await one.text() == "try one\n"
        latest = await client.get("/api/ns/default/dagruns/etl-1/tis/extract/log")
        assert await latest.text() == "try two\n"
        none = await client.get("/api/ns/default/dagruns/etl-1/tis/extract/log?try=3")
        assert none.status == 404
        assert "2 tries" in (await none.json())["error"]

    with_ui(scenario)


def test_a_log_whose_pod_was_cleaned_up_says_so() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.add("dagruns", run(SPEC, extract={"state": "success", "tryNumber": 1, "pod": "p1"}))
        await signed_in(client, auth)
        response = await client.get("/api/ns/default/dagruns/etl-1/tis/extract/log")
        assert response.status == 404
        assert "no longer exists" in (await response.json())["error"]

    with_ui(scenario)


def test_a_user_who_may_not_list_namespaces_gets_the_default_one() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        api.refuse["list namespaces"] = ApiError(403, "cannot list resource namespaces")
        await signed_in(client, auth)
        found = await (await client.get("/api/namespaces")).json()
        assert found["namespaces"] == ["default"]

    with_ui(scenario)


def test_a_task_instance_comes_with_its_own_callbacks() -> None:
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        body = run(SPEC, extract={"state": "failed", "tryNumber": 1, "pod": "p1"})
        body["status"]["callbacks"] = [
            {
                "task": "extract",
                "kind": "onFailure",
                "tryNumber": 1,
                "state": "success",
                "pod": "c1",
            },
            {"kind": "onFailure", "tryNumber": 1, "state": "running", "pod": "c2"},
        ]
        api.add("dagruns", body)
        await signed_in(client, auth)
        response = await client.get("/api/ns/default/dagruns/etl-1/tis/extract")
        found = await response.json()
        assert [c["pod"] for c in found["callbacks"]] == ["c1"]

    with_ui(scenario)


def test_a_callback_the_operator_wrote_without_its_defaults_comes_with_them() -> None:
    # The operator leaves defaults out of the status: a queued callback of the first
    # try has no `state` and no `tryNumber` (the panel showed "no status", "try undefined").
    async def scenario(client: TestClient[Any, Any], auth: KubeconfigAuth, api: Any) -> None:
        body = run(SPEC, extract={"state": "failed", "tryNumber": 1, "pod": "p1"})
        body["status"]["callbacks"] = [
            {"task": "extract", "kind": "onFailure", "name": "page", "pod": "c1"}
        ]
        api.add("dagruns", body)
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1/tis/extract")).json()
        assert found["callbacks"] == [
            {
                "task": "extract",
                "kind": "onFailure",
                "tryNumber": 1,
                "index": 0,
                "name": "page",
                "state": "queued",
                "pod": "c1",
            }
        ]

    with_ui(scenario)


BIG = [{"id": i} for i in range(1000)]


def big_ref() -> tuple[dict[str, Any], dict[str, str]]:
    raw = json.dumps(BIG).encode()
    ref = {"configMap": "etl-1-extract-1-xcom", "size": len(raw)}
    ref["sha256"] = hashlib.sha256(raw).hexdigest()
    return ref, {STORED_KEY: base64.b64encode(gzip.compress(raw)).decode()}


def test_a_big_xcom_is_read_from_its_configmap_for_the_xcom_pane() -> None:
    async def scenario(
        client: TestClient[Any, Any], auth: KubeconfigAuth, api: FakeUserApi
    ) -> None:
        ref, data = big_ref()
        api.add("dagruns", run(SPEC, extract={"state": "success", "tryNumber": 1, "xcomRef": ref}))
        api.config_maps["etl-1-extract-1-xcom"] = data
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1/tis/extract")).json()
        assert found["xcom"] == BIG and found["instance"]["xcomRef"] == ref

    with_ui(scenario)


def test_a_big_xcom_the_user_cannot_read_says_why() -> None:
    async def scenario(
        client: TestClient[Any, Any], auth: KubeconfigAuth, api: FakeUserApi
    ) -> None:
        ref, _ = big_ref()
        api.add("dagruns", run(SPEC, extract={"state": "success", "tryNumber": 1, "xcomRef": ref}))
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1/tis/extract")).json()
        assert "xcom" not in found
        assert found["xcomError"].startswith("cannot read ConfigMap etl-1-extract-1-xcom")

    with_ui(scenario)


def versioned_run(api: FakeUserApi) -> None:
    """A run that names its DAG version (as the operator writes it), stored by `api`."""
    version = config_map(dag_version("etl", DAGSpec.model_validate(SPEC)), "default", "etl", None)
    name = version["metadata"]["name"]
    api.config_maps[name] = version["binaryData"]
    api.config_map_annotations[name] = version["metadata"]["annotations"]
    body = run(SPEC, extract={"state": "success", "tryNumber": 1})
    body["status"] = {"dagVersion": name, "taskInstances": body["status"]["taskInstances"]}
    api.add("dagruns", body)


def test_a_run_shows_the_shape_and_diff_of_the_dag_version_it_names() -> None:
    async def scenario(
        client: TestClient[Any, Any], auth: KubeconfigAuth, api: FakeUserApi
    ) -> None:
        versioned_run(api)
        api.add("dags", {"metadata": {"name": "etl"}, "spec": {**SPEC, "schedule": "@hourly"}})
        await signed_in(client, auth)
        found = await (await client.get("/api/ns/default/dagruns/etl-1")).json()
        assert [t["name"] for t in found["structure"]["tasks"]] == ["extract", "load"]
        assert "dagSpec" not in found["status"]
        diff = await (await client.get("/api/ns/default/dagruns/etl-1/diff")).json()
        assert "-schedule: '@daily'" in diff["diff"] and "+schedule: '@hourly'" in diff["diff"]

    with_ui(scenario)


def test_a_user_who_may_not_read_the_dag_version_still_sees_the_run() -> None:
    async def scenario(
        client: TestClient[Any, Any], auth: KubeconfigAuth, api: FakeUserApi
    ) -> None:
        versioned_run(api)
        api.refuse = refusing(["get configmaps"])
        await signed_in(client, auth)
        response = await client.get("/api/ns/default/dagruns/etl-1")
        found = await response.json()
        assert response.status == 200 and found["structure"] is None
        assert found["status"]["taskInstances"]["extract"]["state"] == "success"

    with_ui(scenario)
