"""Big XComs on the real API server, with real processes (the development node agent):
a task's 200 KiB list of 3,000 items reaches a downstream template and a mapping,
kept in a ConfigMap owned by the run, while the DagRun object stays small; a value
over 1 MiB fails its task with its size and the limit."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kairflow.controller.xcom_store import _config_map
from kairflow.core.naming import pod_name
from kairflow.core.xcom import Spilled, config_map_name
from tests.cli import kairflow
from tests.integration.helpers import dag, manual_run, run_status
from tests.integration.kube import Kube, wait_for
from tests.integration.localnode_fixture import LocalNodes, agent_settings, read

pytestmark = pytest.mark.integration

NODE = f"xcomnode-{uuid.uuid4().hex[:6]}"
MAPPED = 200
PAD = 200
MAKE_ITEMS = (
    "import json, os\n"
    "items = [{'id': i, 'name': 'item-%05d' % i, 'pad': 'x' * 40} for i in range(3000)]\n"
    "open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write(json.dumps(items))\n"
)
# A TaskFlow-style return value, pushed by the bash wrapper: the last line of stdout.
# 200 names of 206 characters: 41 KiB of JSON, over the termination message's 4 KiB (few
# instances: each is a real process on a 2-core machine).
MAKE_NAMES = (
    "import json, os\n"
    f"names = ['n%04d-' % i + 'x' * {PAD} for i in range({MAPPED})]\n"
    "open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write(json.dumps(names))\n"
)


def finished(kube: Kube, ns: str, name: str, state: str, timeout: float) -> dict[str, Any]:
    """The run's status once it finished in `state`; else what each task instance did."""

    def done() -> dict[str, Any] | None:
        status = run_status(kube, ns, name)
        return status if status.get("state") in ("success", "failed") else None

    status = wait_for(done, timeout=timeout, what=f"run {name} finished")
    if status["state"] != state:
        tis = status.get("taskInstances") or {}
        summary = {k: (ti.get("state"), ti.get("message")) for k, ti in list(tis.items())[:12]}
        for ti in tis.values():
            if ti.get("state") == "failed" and ti.get("pod"):
                log = kube.core.read_namespaced_pod_log(ti["pod"], ns, tail_lines=10)
                summary[ti["pod"]] = (None, log)
        raise AssertionError(f"run {name} is {status['state']}, not {state}: {summary}")
    return status


@pytest.fixture
def nodes(
    kube: Kube, service_account_ready: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalNodes]:
    workdir = tmp_path_factory.getbasetemp() / NODE
    settings = agent_settings(kube, NODE, service_account_ready, workdir)
    nodes = LocalNodes(kube, service_account_ready, settings)
    nodes.start(claim_default_scheduler=True)
    try:
        yield nodes
    finally:
        nodes.close()


def test_a_big_list_reaches_a_template_and_a_mapping_outside_the_run(
    kube: Kube, operator: None, nodes: LocalNodes
) -> None:
    ns = nodes.namespace
    tasks = [
        {"name": "make", "python": MAKE_ITEMS},
        {"name": "count", "bash": "echo {{ ti.xcom_pull('make') | length }}"},
        {"name": "names", "python": MAKE_NAMES},
        {"name": "greet", "bash": "echo hello {{ item }}", "expand": {"fromTask": "names"}},
    ]
    kube.create(ns, "dags", dag("big", tasks, ["make >> count", "names >> greet"]))
    kube.create(ns, "dagruns", manual_run("big-1", "big"))
    status = finished(kube, ns, "big-1", "success", timeout=240)
    tis = status["taskInstances"]
    make, names = tis["make"], tis["names"]
    assert "xcom" not in make and make["xcomRef"]["size"] > 200_000
    assert tis["count"]["xcom"] == "3000"
    assert names["xcomRef"]["configMap"] == names["pod"] + "-xcom"
    greets = sorted(k for k in tis if k.startswith("greet["))
    assert len(greets) == MAPPED and all(tis[k]["state"] == "success" for k in greets)
    assert tis[f"greet[{MAPPED - 1}]"]["xcom"] == f"hello n{MAPPED - 1:04d}-" + "x" * PAD
    # The values are in ConfigMaps owned by the run, deleted with it.
    run_uid = kube.get(ns, "dagruns", "big-1")["metadata"]["uid"]
    stored = kube.core.read_namespaced_config_map(make["xcomRef"]["configMap"], ns)
    assert [(o.kind, o.uid) for o in stored.metadata.owner_references] == [("DagRun", run_uid)]
    assert stored.immutable is True
    # The DagRun object holds references only: no task instance's entry passes 1 KiB,
    # and no value is in it (its size is the mapped instances' own state).
    body = json.dumps(kube.get(ns, "dagruns", "big-1"))
    assert "item-02999" not in body
    assert f'"n{MAPPED - 2:04d}-' + "x" * PAD + f'", "n{MAPPED - 1:04d}-' not in body
    assert max(len(json.dumps(ti)) for ti in tis.values()) < 1024
    assert len(body) < 1024 * len(tis)
    # The CLI shows a big XCom as any other.
    shown = kairflow(
        "tasks", "xcom", "big-1", "names", "-n", ns, "--kubeconfig", str(kube.kubeconfig)
    )
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout) == [f"n{i:04d}-" + "x" * PAD for i in range(MAPPED)]
    # Deleting the run deletes its values (the garbage collector follows the owner). It
    # deletes the run's 200-odd pods too, at the controller-manager's 20 requests/s: on a
    # machine busy with other test workers that has taken over 60 s.
    kube.custom.delete_namespaced_custom_object("kairflow.io", "v1alpha1", ns, "dagruns", "big-1")
    wait_for(
        lambda: (
            not kube.core.list_namespaced_config_map(ns, label_selector="kairflow.io/dag-run").items
        ),
        timeout=180,
        what="the run's XCom ConfigMaps garbage-collected",
    )


def test_an_xcom_over_1_mib_fails_its_task_with_its_size(
    kube: Kube, operator: None, nodes: LocalNodes
) -> None:
    ns = nodes.namespace
    huge = (
        "import os; open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write('\"' + 'x' * 2411722 + '\"')"
    )
    kube.create(ns, "dags", dag("huge", [{"name": "make", "python": huge}]))
    kube.create(ns, "dagruns", manual_run("huge-1", "huge"))
    status = finished(kube, ns, "huge-1", "failed", timeout=60)
    message = status["taskInstances"]["make"]["message"]
    assert message == "XCom is 2.3 MiB; the limit is 1 MiB (see docs/xcom.md)"


def test_a_value_stored_before_an_operator_restart_is_recorded_not_stored_again(
    kube: Kube, operator: None, nodes: LocalNodes, tmp_path: Path
) -> None:
    """An operator that created the ConfigMap and died before writing the status: the
    ConfigMap is there when the pod ends. The (next) operator finds it, checks it
    against the pod's pointer and records it, without writing another."""
    ns, marker = nodes.namespace, tmp_path / "go"
    value = [f"row-{i:05d}" for i in range(1000)]
    raw = json.dumps(value).encode()
    waits = (
        "import json, os, time\n"
        f"while not os.path.exists({str(marker)!r}):\n"
        "    time.sleep(0.05)\n"
        f"open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write(json.dumps({value!r}))\n"
    )
    kube.create(ns, "dags", dag("again", [{"name": "make", "python": waits}]))
    kube.create(ns, "dagruns", manual_run("again-1", "again"))
    pod = pod_name("again-1", "make", 1)
    wait_for(lambda: read(kube, ns, pod), timeout=30, what=f"pod {pod}")
    run = kube.get(ns, "dagruns", "again-1")
    spilled = Spilled(size=len(raw), sha256=hashlib.sha256(raw).hexdigest(), lines=2)
    packed = base64.b64encode(gzip.compress(raw, mtime=0)).decode()
    body = _config_map(run, ns, config_map_name(pod), "make", spilled, packed)
    before = kube.core.create_namespaced_config_map(ns, body).metadata.resource_version
    marker.touch()
    status = finished(kube, ns, "again-1", "success", timeout=60)
    assert status["taskInstances"]["make"]["xcomRef"]["configMap"] == config_map_name(pod)
    after = kube.core.read_namespaced_config_map(config_map_name(pod), ns)
    assert after.metadata.resource_version == before
