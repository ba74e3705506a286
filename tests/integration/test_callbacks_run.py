"""Callbacks on the real apiserver, their pods run by the development node agent as
local processes: a webhook callback POSTs to an HTTP receiver in this test process
(127.0.0.1), with its URL and headers from Secrets; a DAG's callback runs a bash pod
whose log `kubectl logs` reads; a failing callback is recorded and the run's state
stays as it was."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kubernetes import client

from tests.integration.helpers import dag, events_for, manual_run, run_status
from tests.integration.kube import Kube, wait_for
from tests.integration.localnode_fixture import LocalNodes, agent_settings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

NODE = f"callbacks-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def nodes(
    kube: Kube, service_account_ready: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalNodes]:
    workdir = tmp_path_factory.getbasetemp() / NODE
    # Task and callback pods name no scheduler: this agent, for this namespace only, is it.
    settings = agent_settings(kube, NODE, service_account_ready, workdir)
    nodes = LocalNodes(kube, service_account_ready, replace(settings, claim_default_scheduler=True))
    nodes.start()
    try:
        yield nodes
    finally:
        nodes.close()


class Receiver:
    """POSTs seen; `/broken` answers 500, anything else 200."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.url = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.posts.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(500 if self.path == "/broken" else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


def secret(kube: Kube, namespace: str, name: str, data: dict[str, str]) -> None:
    body = client.V1Secret(metadata=client.V1ObjectMeta(name=name), string_data=data)
    kube.core.create_namespaced_secret(namespace, body)


def callbacks_done(kube: Kube, namespace: str, run: str, count: int) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        found = run_status(kube, namespace, run).get("callbacks") or []
        finished = [c for c in found if c.get("state") in ("success", "failed")]
        return found if len(found) == count and len(finished) == count else None

    return wait_for(done, timeout=60, what=f"{count} callbacks of {run} finished")


def test_a_failed_task_notifies_a_webhook_and_the_dags_callback_logs(
    kube: Kube, nodes: LocalNodes, receiver: Receiver
) -> None:
    ns = nodes.namespace
    secret(kube, ns, "hook", {"url": f"{receiver.url}/services/T0/B0"})
    secret(kube, ns, "hook-headers", {"Authorization": "Bearer s3cret"})
    slack = {
        "name": "slack",
        "webhook": {
            "urlFrom": {"name": "hook", "key": "url"},
            "headersFrom": "hook-headers",
            "text": "{{ ti.task_id }} failed on try {{ ti.try_number }}: {{ exception }} "
            "({{ dag_run.run_id }})",
        },
    }
    note = {"name": "note", "bash": 'echo "run $KAIRFLOW_RUN_ID: {{ reason }}"'}
    tasks = [{"name": "load", "bash": "echo loading; exit 4", "onFailure": [slack]}]
    kube.create(ns, "dags", dag("notified", tasks, onFailure=[note]))
    kube.create(ns, "dagruns", manual_run("notified-1", "notified"))

    found = callbacks_done(kube, ns, "notified-1", 2)
    status = run_status(kube, ns, "notified-1")
    assert status["state"] == "failed"
    assert status["taskInstances"]["load"]["message"] == "exit code 4"
    assert {(c.get("task"), c["kind"], c["state"], c["name"]) for c in found} == {
        ("load", "onFailure", "success", "slack"),
        (None, "onFailure", "success", "note"),
    }
    [post] = receiver.posts
    assert post["path"] == "/services/T0/B0"
    assert post["headers"]["Authorization"] == "Bearer s3cret"
    assert json.loads(post["body"]) == {
        "text": f"load failed on try 1: exit code 4 ({status['runId']})"
    }
    dag_callback = next(c for c in found if c.get("task") is None)
    pod = kube.core.read_namespaced_pod(dag_callback["pod"], ns)
    assert pod.metadata.owner_references[0].kind == "DagRun"
    assert pod.metadata.labels["kairflow.io/callback"] == "onFailure"
    log = kube.core.read_namespaced_pod_log(dag_callback["pod"], ns)
    assert log.strip() == f"run {status['runId']}: failed tasks: load"


def test_a_failing_callback_is_recorded_and_the_run_still_succeeds(
    kube: Kube, nodes: LocalNodes, receiver: Receiver
) -> None:
    ns = nodes.namespace
    broken = {"webhook": {"url": f"{receiver.url}/broken", "retries": 1}}
    tasks = [{"name": "fine", "bash": "true", "onSuccess": [broken]}]
    kube.create(ns, "dags", dag("unheard", tasks))
    kube.create(ns, "dagruns", manual_run("unheard-1", "unheard"))

    [callback] = callbacks_done(kube, ns, "unheard-1", 1)
    assert run_status(kube, ns, "unheard-1")["state"] == "success"
    assert (callback["state"], callback["message"], callback["exitCode"]) == (
        "failed",
        "exit code 1",
        1,
    )
    assert len(receiver.posts) == 2  # the first POST and its one retry
    log = kube.core.read_namespaced_pod_log(callback["pod"], ns)
    assert ": HTTP 500" in log
    reasons = wait_for(
        lambda: [e for e in events_for(kube, ns, "unheard-1") if e.reason == "CallbackFailed"],
        what="a CallbackFailed event",
    )
    assert reasons[0].type == "Warning"
