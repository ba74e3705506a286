"""The development node agent plays the kubelet against the real control plane.

Every test runs its own agent for this module's node, in-process on a thread,
binding pods of the test's namespace only. Nothing is mocked; tests wait on
conditions, never for fixed times.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kairflow.localnode.agent import NodeAgent
from tests.integration.kube import Kube, wait_for
from tests.integration.localnode_fixture import (
    LocalNodes,
    agent_settings,
    alive,
    create,
    pids,
    pod,
    read,
    terminated,
    wait_phase,
)

pytestmark = pytest.mark.integration

NODE = f"localnode-{uuid.uuid4().hex[:6]}"
XCOM_ENV = [{"name": "KAIRFLOW_XCOM_FILE", "value": "/dev/termination-log"}]


@pytest.fixture
def nodes(
    kube: Kube, service_account_ready: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalNodes]:
    workdir = tmp_path_factory.getbasetemp() / NODE
    nodes = LocalNodes(
        kube, service_account_ready, agent_settings(kube, NODE, service_account_ready, workdir)
    )
    try:
        yield nodes
    finally:
        nodes.close()


@pytest.fixture
def agent(nodes: LocalNodes) -> NodeAgent:
    return nodes.start()


def kubectl_logs(kube: Kube, namespace: str, *args: str, check: bool = True) -> str:
    return kube.kubectl("logs", "-n", namespace, *args, check=check).stdout


def condition(found: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for item in (found.get("status") or {}).get("conditions") or []:
        if item["type"] == kind:
            return dict(item)
    return None


def test_node_registers_ready_with_its_log_endpoint_and_keeps_heartbeating(
    kube: Kube, agent: NodeAgent
) -> None:
    node = kube.core.read_node(NODE)
    assert node.metadata.labels["kubernetes.io/hostname"] == NODE
    assert node.metadata.labels["kubernetes.io/os"] == "linux"
    assert node.metadata.labels["kairflow.io/localnode"] == "true"
    assert node.status.daemon_endpoints.kubelet_endpoint.port == agent.port
    assert {(a.type, a.address) for a in node.status.addresses} == {
        ("InternalIP", "127.0.0.1"),
        ("Hostname", NODE),
    }
    assert node.status.capacity["pods"] == "8"
    assert node.status.allocatable["pods"] == "8"
    info = node.status.node_info
    assert info.kubelet_version.startswith("v1.")
    assert info.kubelet_version.endswith("-kairflow-localnode")
    assert (info.operating_system, info.architecture) == ("linux", "amd64")
    assert info.boot_id and info.kernel_version and info.container_runtime_version

    def ready() -> Any:
        found = kube.core.read_node(NODE)
        return next(c for c in found.status.conditions if c.type == "Ready")

    first = ready()
    assert first.status == "True"
    leases = client.CoordinationV1Api(kube.api)
    renewals = set()

    def renewed_three_times() -> bool:
        lease = leases.read_namespaced_lease(NODE, "kube-node-lease")
        assert lease.spec.holder_identity == NODE
        renewals.add(lease.spec.renew_time)
        return len(renewals) >= 3

    wait_for(renewed_three_times, timeout=15, what="three lease renewals")
    later = wait_for(
        lambda: (c := ready()).last_heartbeat_time > first.last_heartbeat_time and c,
        timeout=15,
        what="a newer Ready heartbeat",
    )
    assert later.status == "True"
    assert later.last_transition_time <= first.last_heartbeat_time


def test_a_failing_command_fails_the_pod_with_its_exit_code(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    create(kube, namespace, pod("fails", "echo hi; exit 3"))
    found = wait_phase(kube, namespace, "fails", "Failed")
    state = terminated(found)
    assert (state["exitCode"], state["reason"]) == (3, "Error")
    assert state["startedAt"] <= state["finishedAt"]
    assert found["spec"]["nodeName"] == NODE
    status = found["status"]
    assert (status["hostIP"], status["podIP"]) == ("127.0.0.1", "127.0.0.1")
    assert status["startTime"]
    assert (condition(found, "PodScheduled") or {}).get("status") == "True"
    assert (condition(found, "Ready") or {}).get("status") == "False"
    assert kubectl_logs(kube, namespace, "fails") == "hi\n"

    def reasons() -> set[str]:
        events = kube.core.list_namespaced_event(
            namespace, field_selector="involvedObject.name=fails"
        ).items
        return {event.reason for event in events}

    wait_for(
        lambda: {"Scheduled", "ImageIgnored", "Started"} <= reasons(),
        what="Scheduled, ImageIgnored and Started events",
    )


def test_a_command_that_cannot_run_fails_the_pod_with_start_error(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    body = pod("missing", "")
    body["spec"]["containers"][0]["command"] = ["/nonexistent/tool", "--flag"]
    create(kube, namespace, body)
    state = terminated(wait_phase(kube, namespace, "missing", "Failed"))
    assert (state["exitCode"], state["reason"]) == (128, "StartError")
    assert "/nonexistent/tool" in state["message"]


def test_on_failure_restarts_the_container_and_keeps_the_previous_log(
    kube: Kube, agent: NodeAgent, namespace: str, tmp_path: Path
) -> None:
    mark = tmp_path / "tried"
    script = 'if [ -e "$MARK" ]; then echo second; exit 0; fi; touch "$MARK"; echo first; exit 1'
    env = [{"name": "MARK", "value": str(mark)}]
    create(kube, namespace, pod("retries", script, env=env, restartPolicy="OnFailure"))
    found = wait_phase(kube, namespace, "retries", "Succeeded", "Failed")
    assert found["status"]["phase"] == "Succeeded"
    item = found["status"]["containerStatuses"][0]
    assert item["restartCount"] == 1
    assert item["lastState"]["terminated"]["exitCode"] == 1
    assert kubectl_logs(kube, namespace, "retries") == "second\n"
    assert kubectl_logs(kube, namespace, "retries", "--previous") == "first\n"


def test_the_termination_message_is_the_xcom_file_cut_to_4_kib(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    path = {"terminationMessagePath": "/dev/termination-log"}
    create(
        kube,
        namespace,
        pod(
            "xcom", """echo '{"rows": 3}' > "$KAIRFLOW_XCOM_FILE" """, env=XCOM_ENV, container=path
        ),
    )
    create(
        kube,
        namespace,
        pod("big", "head -c 5000 /dev/zero | tr '\\0' x > $KAIRFLOW_XCOM_FILE", env=XCOM_ENV),
    )
    found = wait_phase(kube, namespace, "xcom", "Succeeded", "Failed")
    state = terminated(found)
    assert (found["status"]["phase"], state["exitCode"], state["reason"]) == (
        "Succeeded",
        0,
        "Completed",
    )
    assert state["message"] == '{"rows": 3}\n'
    big = terminated(wait_phase(kube, namespace, "big", "Succeeded"))
    assert big["message"] == "x" * 4096


def test_environment_from_values_configmaps_secrets_and_fields(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    kube.core.create_namespaced_config_map(
        namespace,
        {
            "metadata": {"name": "settings"},
            "data": {"GREETING": "hello", "COLOR": "blue", "1st": "x"},
        },
    )
    secret = base64.b64encode(b"s3cret").decode()
    kube.core.create_namespaced_secret(
        namespace, {"metadata": {"name": "creds"}, "data": {"PASSWORD": secret}}
    )
    names = [
        "PLAIN", "EXPANDED", "FROM_MAP", "FROM_SECRET", "OPTIONAL", "POD_NAME", "POD_NAMESPACE",
        "POD_UID", "NODE_NAME", "POD_IP", "APP", "NOTE", "GREETING", "COLOR", "1st",
        "S_PASSWORD", "HOSTNAME",
    ]  # fmt: skip
    code = (
        "import json, os, sys; names = json.loads(sys.argv[1]); "
        "values = {n: os.environ.get(n) for n in names}; values['ARG'] = sys.argv[2]; "
        "json.dump(values, open(os.environ['KAIRFLOW_XCOM_FILE'], 'w'))"
    )

    def field(path: str) -> dict[str, Any]:
        return {"fieldRef": {"fieldPath": path}}

    env = [
        {"name": "PLAIN", "value": "plain"},
        {"name": "EXPANDED", "value": "$(PLAIN)-$(GREETING)-$$(PLAIN)-$(MISSING)"},
        {
            "name": "FROM_MAP",
            "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "COLOR"}},
        },
        {
            "name": "FROM_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "creds", "key": "PASSWORD"}},
        },
        {
            "name": "OPTIONAL",
            "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "x", "optional": True}},
        },
        {"name": "POD_NAME", "valueFrom": field("metadata.name")},
        {"name": "POD_NAMESPACE", "valueFrom": field("metadata.namespace")},
        {"name": "POD_UID", "valueFrom": field("metadata.uid")},
        {"name": "NODE_NAME", "valueFrom": field("spec.nodeName")},
        {"name": "POD_IP", "valueFrom": field("status.podIP")},
        {"name": "APP", "valueFrom": field("metadata.labels['app']")},
        {"name": "NOTE", "valueFrom": field("metadata.annotations['note']")},
    ]
    body = pod("env", "", env=env)
    body["metadata"].update(labels={"app": "demo"}, annotations={"note": "hi there"})
    body["spec"]["containers"][0].update(
        command=["python3", "-c", code, json.dumps(names), "$(FROM_MAP)"],
        envFrom=[
            {"configMapRef": {"name": "settings"}},
            {"secretRef": {"name": "creds"}, "prefix": "S_"},
        ],
    )
    create(kube, namespace, body)
    found = wait_phase(kube, namespace, "env", "Succeeded", "Failed")
    assert found["status"]["phase"] == "Succeeded", kubectl_logs(kube, namespace, "env")
    values = json.loads(terminated(found)["message"])
    assert values == {
        "PLAIN": "plain",
        "EXPANDED": "plain-hello-$(PLAIN)-$(MISSING)",
        "FROM_MAP": "blue",
        "FROM_SECRET": "s3cret",
        "OPTIONAL": None,
        "POD_NAME": "env",
        "POD_NAMESPACE": namespace,
        "POD_UID": found["metadata"]["uid"],
        "NODE_NAME": NODE,
        "POD_IP": "127.0.0.1",
        "APP": "demo",
        "NOTE": "hi there",
        "GREETING": "hello",
        "COLOR": "blue",
        "1st": None,  # not a valid variable name: skipped, as a kubelet does
        "S_PASSWORD": "s3cret",
        "HOSTNAME": "env",
        "ARG": "blue",
    }


def test_a_missing_configmap_is_a_create_container_config_error_until_it_exists(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    body = pod("waits", "echo $LATER_VALUE > $KAIRFLOW_XCOM_FILE")
    body["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "later"}}]
    create(kube, namespace, body)

    def waiting() -> dict[str, Any] | None:
        found = read(kube, namespace, "waits") or {}
        for item in (found.get("status") or {}).get("containerStatuses") or []:
            state = (item.get("state") or {}).get("waiting") or {}
            if state.get("reason") == "CreateContainerConfigError":
                return found
        return None

    found = wait_for(waiting, timeout=20, what="CreateContainerConfigError")
    assert found["status"]["phase"] == "Pending"
    state = found["status"]["containerStatuses"][0]["state"]["waiting"]
    assert state["message"] == 'configmap "later" not found'
    kube.core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "later"}, "data": {"LATER_VALUE": "now"}}
    )
    done = wait_phase(kube, namespace, "waits", "Succeeded")
    assert terminated(done)["message"] == "now\n"


def test_a_pod_deleted_while_pending_is_removed(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    secret = {"secretKeyRef": {"name": "absent", "key": "k"}}
    create(kube, namespace, pod("pending", "true", env=[{"name": "X", "valueFrom": secret}]))
    wait_for(
        lambda: ((read(kube, namespace, "pending") or {}).get("status") or {}).get(
            "containerStatuses"
        ),
        what="the pod's container status",
    )
    kube.core.delete_namespaced_pod("pending", namespace)
    wait_for(lambda: read(kube, namespace, "pending") is None, timeout=10, what="pod removed")


def test_active_deadline_fails_the_pod_with_deadline_exceeded(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    create(
        kube,
        namespace,
        pod("slow", "sleep 100", activeDeadlineSeconds=1, terminationGracePeriodSeconds=1),
    )
    found = wait_phase(kube, namespace, "slow", "Failed", timeout=20)
    assert found["status"]["reason"] == "DeadlineExceeded"
    assert (
        found["status"]["message"]
        == "Pod was active on the node longer than the specified deadline"
    )
    assert terminated(found)["exitCode"] in (137, 143)


def test_deleting_a_running_pod_kills_its_whole_process_group(
    kube: Kube, agent: NodeAgent, namespace: str, tmp_path: Path
) -> None:
    record = tmp_path / "pids"
    # TERM is ignored by the shell and its children: only SIGKILL after the grace works.
    script = (
        'trap "" TERM; sleep 1000 & echo $! >> "$PIDS"; sleep 1000 & echo $! >> "$PIDS"; '
        'echo $BASHPID >> "$PIDS"; wait'
    )
    env = [{"name": "PIDS", "value": str(record)}]
    create(kube, namespace, pod("doomed", script, env=env, terminationGracePeriodSeconds=1))
    wait_phase(kube, namespace, "doomed", "Running")
    started = wait_for(lambda: len(pids(record)) == 3 and pids(record), what="three pids")
    assert all(alive(pid) for pid in started)
    uid = (read(kube, namespace, "doomed") or {})["metadata"]["uid"]
    before = time.monotonic()
    kube.core.delete_namespaced_pod("doomed", namespace)
    wait_for(lambda: read(kube, namespace, "doomed") is None, timeout=20, what="pod gone")
    assert time.monotonic() - before >= 1.0, "the grace period was not honored"
    assert not [pid for pid in started if alive(pid)]
    pod_dirs = agent.workdir / "pods"
    wait_for(
        lambda: not [p for p in pod_dirs.iterdir() if p.name.endswith(uid)],
        what="the pod's directory removed",
    )


def test_kubectl_logs_reads_and_follows_container_output(
    kube: Kube, agent: NodeAgent, namespace: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    script = 'echo first; echo second; while [ ! -e "$GO" ]; do sleep 0.05; done; echo last'
    create(kube, namespace, pod("talks", script, env=[{"name": "GO", "value": str(go)}]))
    wait_phase(kube, namespace, "talks", "Running")
    wait_for(
        lambda: kubectl_logs(kube, namespace, "talks") == "first\nsecond\n",
        what="the first two lines",
    )
    assert kubectl_logs(kube, namespace, "talks", "--tail=1") == "second\n"
    assert kubectl_logs(kube, namespace, "talks", "--limit-bytes=3") == "fir"
    env = {**os.environ, "KUBECONFIG": str(kube.kubeconfig)}
    follower = subprocess.Popen(
        ["kubectl", "logs", "-f", "-n", namespace, "talks"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline() == "first\n"
        assert follower.stdout.readline() == "second\n"
        assert follower.poll() is None, "kubectl logs -f ended while the container runs"
        go.touch()
        rest, errors = follower.communicate(timeout=30)
    finally:
        follower.kill()
    assert (rest, follower.returncode) == ("last\n", 0), errors
    wait_phase(kube, namespace, "talks", "Succeeded")
    assert kubectl_logs(kube, namespace, "talks") == "first\nsecond\nlast\n"
    previous = kube.kubectl("logs", "-n", namespace, "talks", "--previous", check=False)
    assert previous.returncode != 0


def test_init_containers_run_first_and_share_the_working_directory(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    body = pod("init", 'cp shared.txt "$KAIRFLOW_XCOM_FILE"')
    body["spec"]["initContainers"] = [
        {"name": "prepare", "image": "busybox", "command": ["sh", "-c", "echo ready > shared.txt"]}
    ]
    create(kube, namespace, body)
    found = wait_phase(kube, namespace, "init", "Succeeded", "Failed")
    assert terminated(found)["message"] == "ready\n"
    init = found["status"]["initContainerStatuses"][0]
    assert (init["name"], init["state"]["terminated"]["exitCode"]) == ("prepare", 0)
    assert (condition(found, "Initialized") or {}).get("status") == "True"


def test_capacity_one_keeps_the_next_pod_pending_until_a_slot_frees(
    kube: Kube, nodes: LocalNodes, namespace: str, tmp_path: Path
) -> None:
    nodes.start(capacity=1)
    go = tmp_path / "go"
    first = pod(
        "first", 'while [ ! -e "$GO" ]; do sleep 0.05; done', env=[{"name": "GO", "value": str(go)}]
    )
    create(kube, namespace, first)
    wait_phase(kube, namespace, "first", "Running")
    create(kube, namespace, pod("second", "echo second"))

    def unschedulable() -> dict[str, Any] | None:
        found = read(kube, namespace, "second") or {}
        scheduled = condition(found, "PodScheduled") or {}
        return found if scheduled.get("reason") == "Unschedulable" else None

    found = wait_for(unschedulable, what="second pod marked Unschedulable")
    assert "Too many pods" in (condition(found, "PodScheduled") or {})["message"]
    assert not found["spec"].get("nodeName")
    assert found["status"]["phase"] == "Pending"
    assert (read(kube, namespace, "first") or {})["status"]["phase"] == "Running"
    go.touch()
    done_first = terminated(wait_phase(kube, namespace, "first", "Succeeded"))
    second = wait_phase(kube, namespace, "second", "Succeeded")
    assert second["spec"]["nodeName"] == NODE
    assert terminated(second)["startedAt"] >= done_first["finishedAt"]
    assert (condition(second, "PodScheduled") or {}).get("status") == "True"


def test_pods_of_other_schedulers_are_never_touched(
    kube: Kube, agent: NodeAgent, namespace: str
) -> None:
    create(kube, namespace, pod("other", "echo other", scheduler="some-other-scheduler"))
    create(kube, namespace, pod("default", "echo default", scheduler=None))
    # Whoever bound a pod to this node (here: its creator), the node runs it.
    create(
        kube, namespace, pod("assigned", "true", scheduler="some-other-scheduler", nodeName=NODE)
    )
    create(kube, namespace, pod("mine", "echo mine"))
    # Created last, so the agent's watch had the others when it ran this one.
    wait_phase(kube, namespace, "mine", "Succeeded")
    wait_phase(kube, namespace, "assigned", "Succeeded")
    for name in ("other", "default"):
        found = read(kube, namespace, name) or {}
        assert not found["spec"].get("nodeName"), name
        assert found["status"].get("phase") == "Pending", name
        assert not found["status"].get("conditions"), name


def test_claim_default_scheduler_runs_default_scheduler_pods(
    kube: Kube, nodes: LocalNodes, namespace: str
) -> None:
    nodes.start(claim_default_scheduler=True)
    create(kube, namespace, pod("other", "echo other", scheduler="some-other-scheduler"))
    create(kube, namespace, pod("default", "echo default", scheduler=None))
    found = wait_phase(kube, namespace, "default", "Succeeded")
    assert found["spec"]["schedulerName"] == "default-scheduler"
    assert found["spec"]["nodeName"] == NODE
    assert not (read(kube, namespace, "other") or {})["spec"].get("nodeName")


def test_a_restarted_agent_fails_the_pods_its_predecessor_ran(
    kube: Kube, nodes: LocalNodes, namespace: str, tmp_path: Path
) -> None:
    node, workdir, record = f"{NODE}-restart", tmp_path / "work", tmp_path / "pids"
    log = (tmp_path / "agent.log").open("wb")
    # The first agent is the real CLI, killed with SIGKILL: no chance to clean up.
    cli = subprocess.Popen(
        [sys.executable, "-m", "kairflow.cli.main", "localnode", "--node-name", node,
         "--workdir", str(workdir), "--namespace", namespace],
        env={**os.environ, "KUBECONFIG": str(kube.kubeconfig)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:

        def node_ready() -> bool:
            try:
                found = kube.core.read_node(node)
            except client.ApiException:
                return False
            conditions = (found.status.conditions if found.status else None) or []
            return any(c.type == "Ready" and c.status == "True" for c in conditions)

        wait_for(node_ready, timeout=30, what="the CLI agent's node Ready")
        script = 'sleep 1000 & echo $! >> "$PIDS"; echo $BASHPID >> "$PIDS"; wait'
        create(
            kube, namespace, pod("survivor", script, env=[{"name": "PIDS", "value": str(record)}])
        )
        wait_phase(kube, namespace, "survivor", "Running")
        started = wait_for(lambda: len(pids(record)) == 2 and pids(record), what="two pids")
    finally:
        cli.kill()
        cli.wait(10)
        log.close()
    assert all(alive(pid) for pid in started), "the processes should outlive a killed agent"
    assert (read(kube, namespace, "survivor") or {})["status"]["phase"] == "Running"

    nodes.start(node_name=node, workdir=workdir)
    found = wait_phase(kube, namespace, "survivor", "Failed")
    assert found["status"]["reason"] == "NodeRestarted"
    assert terminated(found)["exitCode"] == 137
    # SIGKILL to a process group takes effect as the kernel delivers it, not at once.
    wait_for(
        lambda: not [pid for pid in started if alive(pid)],
        timeout=10,
        what="the leftover processes killed",
    )


def test_shutdown_fails_running_pods_and_marks_the_node_not_ready(
    kube: Kube, nodes: LocalNodes, namespace: str, tmp_path: Path
) -> None:
    agent = nodes.start()
    record = tmp_path / "pids"
    script = 'echo $BASHPID >> "$PIDS"; sleep 1000'
    create(kube, namespace, pod("running", script, env=[{"name": "PIDS", "value": str(record)}]))
    wait_phase(kube, namespace, "running", "Running")
    started = wait_for(lambda: pids(record), what="the pid")
    nodes.stop(agent)
    found = read(kube, namespace, "running") or {}
    assert (found["status"]["phase"], found["status"]["reason"]) == ("Failed", "NodeShutdown")
    assert not [pid for pid in started if alive(pid)]
    ready = next(c for c in kube.core.read_node(NODE).status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason) == ("False", "NodeAgentStopped")
    nodes.start()  # so that the test's pods are deleted through a running agent
