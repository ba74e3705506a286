"""A task instance's Pod manifest: names, labels, process, environment, podTemplate."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kairflow.api.dag import TaskSpec
from kairflow.api.env import EnvVar
from kairflow.core.bash_xcom import WRAPPER
from kairflow.core.pod_builder import build_pod
from kairflow.core.templating import RenderedTask
from kairflow.core.xcom_spill import PYTHON_WRAPPER

RUN = "sample-dag-scheduled-20210101t000000"
RUN_ID = "scheduled__2021-01-01T00:00:00+00:00"
LOGICAL = datetime(2021, 1, 1, tzinfo=UTC)


def task(**fields: Any) -> TaskSpec:
    return TaskSpec.model_validate({"name": "first", **fields})


def pod(
    spec: TaskSpec | None = None,
    rendered: RenderedTask | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    spec = spec if spec is not None else task(bash="echo hi")
    kwargs: dict[str, Any] = {
        "namespace": "team-a",
        "dag_name": "sample-dag",
        "dagrun_name": RUN,
        "dagrun_uid": "uid-1",
        "run_id": RUN_ID,
        "logical_date": LOGICAL,
        "task": spec,
        "rendered": rendered if rendered is not None else RenderedTask(bash="echo hi"),
        "try_number": 1,
        "map_index": None,
        "default_image": "python:3.12-slim",
        "execution_timeout_seconds": None,
    }
    kwargs.update(overrides)
    return build_pod(**kwargs)


def base_container(manifest: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = manifest["spec"]["containers"][0]
    assert container["name"] == "base"
    return container


def env_of(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        var["name"]: var.get("value", var.get("valueFrom"))
        for var in base_container(manifest)["env"]
    }


OUR_ENV = [
    {"name": "KAIRFLOW_DAG", "value": "sample-dag"},
    {"name": "KAIRFLOW_DAG_RUN", "value": RUN},
    {"name": "KAIRFLOW_RUN_ID", "value": RUN_ID},
    {"name": "KAIRFLOW_TASK", "value": "first"},
    {"name": "KAIRFLOW_TRY_NUMBER", "value": "1"},
    {"name": "KAIRFLOW_LOGICAL_DATE", "value": "2021-01-01T00:00:00+00:00"},
    {"name": "KAIRFLOW_XCOM_FILE", "value": "/dev/termination-log"},
    {"name": "AIRFLOW_CTX_DAG_ID", "value": "sample-dag"},
    {"name": "AIRFLOW_CTX_TASK_ID", "value": "first"},
    {"name": "AIRFLOW_CTX_EXECUTION_DATE", "value": "2021-01-01T00:00:00+00:00"},
    {"name": "AIRFLOW_CTX_TRY_NUMBER", "value": "1"},
    {"name": "AIRFLOW_CTX_DAG_RUN_ID", "value": RUN_ID},
]


def test_a_bash_task_gets_the_whole_expected_pod() -> None:
    assert pod() == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{RUN}-first-1",
            "namespace": "team-a",
            "labels": {
                "app.kubernetes.io/managed-by": "kairflow",
                "kairflow.io/dag": "sample-dag",
                "kairflow.io/dag-run": RUN,
                "kairflow.io/task": "first",
                "kairflow.io/try": "1",
            },
            "annotations": {
                "kairflow.io/dag": "sample-dag",
                "kairflow.io/dag-run": RUN,
                "kairflow.io/task": "first",
                "kairflow.io/run-id": RUN_ID,
                "kairflow.io/logical-date": "2021-01-01T00:00:00+00:00",
                "kairflow.io/try-number": "1",
                "kubectl.kubernetes.io/default-container": "base",
            },
            "ownerReferences": [
                {
                    "apiVersion": "kairflow.io/v1alpha1",
                    "kind": "DagRun",
                    "name": RUN,
                    "uid": "uid-1",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "base",
                    "image": "python:3.12-slim",
                    "command": ["bash", "-c", WRAPPER, "echo hi"],
                    "env": OUR_ENV,
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("spec", "rendered", "command", "args"),
    [
        pytest.param(
            task(bash="echo {{ ds }}"),
            RenderedTask(bash="echo 2021-01-01"),
            ["bash", "-c", WRAPPER, "echo 2021-01-01"],
            None,
            id="bash runs the rendered script with bash -c, its last line the XCom",
        ),
        pytest.param(
            task(bash="echo {{ ds }}", do_xcom_push=False),
            RenderedTask(bash="echo 2021-01-01"),
            ["bash", "-c", "echo 2021-01-01"],
            None,
            id="bash with doXcomPush false runs the script alone",
        ),
        pytest.param(
            task(bash="test -e /x", sensor={}),
            RenderedTask(bash="test -e /x"),
            ["bash", "-c", "test -e /x"],
            None,
            id="a bash sensor's poke pushes nothing",
        ),
        pytest.param(
            task(python="print('{{ ds }}')"),
            RenderedTask(python="print('2021-01-01')"),
            ["python", "-c", PYTHON_WRAPPER, "print('2021-01-01')"],
            None,
            id="python runs the rendered code with python -c, wrapped",
        ),
        pytest.param(
            task(image="alpine", command=["sh", "-c", "echo $0"], args=["{{ ds }}"]),
            RenderedTask(command=["sh", "-c", "echo $0"], args=["2021-01-01"]),
            ["sh", "-c", "echo $0"],
            ["2021-01-01"],
            id="a container task runs its rendered command and args",
        ),
        pytest.param(
            task(bash='echo "$@"', args=["a"]),
            RenderedTask(bash='echo "$@"', args=["a"]),
            ["bash", "-c", WRAPPER, 'echo "$@"'],
            ["a"],
            id="args follow a bash script too",
        ),
    ],
)
def test_the_task_kind_decides_the_process(
    spec: TaskSpec, rendered: RenderedTask, command: list[str], args: list[str] | None
) -> None:
    container = base_container(pod(spec, rendered))
    assert container["command"] == command
    assert container.get("args") == args


@pytest.mark.parametrize(
    ("spec", "rendered", "message"),
    [
        pytest.param(task(), RenderedTask(), "is an empty task", id="an empty task has no pod"),
        pytest.param(
            task(image="alpine"), RenderedTask(), "is an empty task", id="an image alone is empty"
        ),
        pytest.param(task(bash="x"), RenderedTask(), "rendered without bash", id="unrendered bash"),
        pytest.param(
            task(python="x"), RenderedTask(), "rendered without python", id="unrendered python"
        ),
        pytest.param(
            task(command=["x"]), RenderedTask(), "rendered without command", id="unrendered command"
        ),
    ],
)
def test_tasks_without_a_process_are_refused(
    spec: TaskSpec, rendered: RenderedTask, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pod(spec, rendered)


BIG_LITERAL = "rows = " + repr(["x" * 100] * 1500)  # ~153 KiB: a big XCom rendered in


@pytest.mark.parametrize(
    ("spec", "rendered", "message"),
    [
        pytest.param(
            task(python="{{ ti.xcom_pull('big') }}"),
            RenderedTask(python=BIG_LITERAL),
            r"the rendered python is 1\d\d\.\d KiB; one argument of a process is at most 128 KiB",
            id="a python script with a big XCom rendered in cannot start",
        ),
        pytest.param(
            task(bash="echo", args=["{{ ti.xcom_pull('big') }}"]),
            RenderedTask(bash="echo", args=[BIG_LITERAL]),
            "the rendered bash is .* KiB",
            id="nor can a bash task with a big rendered argument",
        ),
    ],
)  # fmt: skip
def test_an_argument_over_128_kib_is_refused_before_a_pod(
    spec: TaskSpec, rendered: RenderedTask, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pod(spec, rendered)


def test_an_argument_just_under_128_kib_makes_a_pod() -> None:
    script = "#" + "x" * (128 * 1024 - 2)
    assert base_container(pod(task(python="x"), RenderedTask(python=script)))["command"][-1] == (
        script
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(task(bash="x"), "python:3.12-slim", id="the default image by default"),
        pytest.param(task(bash="x", image="bash:5"), "bash:5", id="the task's image first"),
        pytest.param(
            task(
                bash="x", podTemplate={"spec": {"containers": [{"name": "base", "image": "t:1"}]}}
            ),
            "t:1",
            id="then the template's base image",
        ),
        pytest.param(
            task(
                bash="x",
                image="bash:5",
                podTemplate={"spec": {"containers": [{"name": "base", "image": "t:1"}]}},
            ),
            "bash:5",
            id="the task's image beats the template's",
        ),
    ],
)
def test_image(spec: TaskSpec, expected: str) -> None:
    assert base_container(pod(spec, RenderedTask(bash="x")))["image"] == expected


def test_a_mapped_instance_is_named_labelled_and_told_its_index() -> None:
    manifest = pod(map_index=3, try_number=2)
    assert manifest["metadata"]["name"] == f"{RUN}-first-3-2"
    assert manifest["metadata"]["labels"]["kairflow.io/map-index"] == "3"
    assert manifest["metadata"]["labels"]["kairflow.io/try"] == "2"
    assert manifest["metadata"]["annotations"]["kairflow.io/map-index"] == "3"
    names = [var["name"] for var in base_container(manifest)["env"]]
    assert names[5:8] == ["KAIRFLOW_LOGICAL_DATE", "KAIRFLOW_MAP_INDEX", "KAIRFLOW_XCOM_FILE"]
    assert env_of(manifest)["KAIRFLOW_MAP_INDEX"] == "3"
    assert env_of(manifest)["KAIRFLOW_TRY_NUMBER"] == "2"
    assert env_of(manifest)["AIRFLOW_CTX_TRY_NUMBER"] == "2"


def test_a_reschedule_pokes_pod_is_named_and_labelled_by_its_poke() -> None:
    manifest = pod(poke=4)
    assert manifest["metadata"]["name"] == f"{RUN}-first-1-poke4"
    assert manifest["metadata"]["labels"]["kairflow.io/poke"] == "4"
    assert manifest["metadata"]["annotations"]["kairflow.io/poke"] == "4"


def test_airflow_task_ids_are_hashed_in_labels_and_kept_whole_in_annotations() -> None:
    spec = task(name="Extract.Load_v2", bash="x")
    long_dag = "d" * 70
    manifest = pod(spec, RenderedTask(bash="x"), dag_name=long_dag)
    meta = manifest["metadata"]
    assert meta["name"] == f"{RUN}-extract-load-v2-1-myaidbql"
    assert meta["labels"]["kairflow.io/task"] == "Extract.Load_v2"
    assert meta["labels"]["kairflow.io/dag"] == "d" * 54 + "-isdjkmoe"
    assert meta["annotations"]["kairflow.io/task"] == "Extract.Load_v2"
    assert meta["annotations"]["kairflow.io/dag"] == long_dag
    assert env_of(manifest)["KAIRFLOW_TASK"] == "Extract.Load_v2"


@pytest.mark.parametrize(
    ("overrides", "key", "present"),
    [
        pytest.param({"dagrun_uid": None}, "ownerReferences", False, id="no uid no owner"),
        pytest.param({}, "ownerReferences", True, id="a uid makes the DagRun the owner"),
    ],
)
def test_owner_reference(overrides: dict[str, Any], key: str, present: bool) -> None:
    assert (key in pod(**overrides)["metadata"]) is present


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(None, None, id="no execution timeout no deadline"),
        pytest.param(300, 300, id="executionTimeout becomes activeDeadlineSeconds"),
    ],
)
def test_execution_timeout(seconds: int | None, expected: int | None) -> None:
    spec = pod(execution_timeout_seconds=seconds)["spec"]
    assert spec.get("activeDeadlineSeconds") == expected


def test_a_logical_date_with_an_offset_is_written_in_utc() -> None:
    manifest = pod(logical_date=datetime(2021, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))))
    assert env_of(manifest)["KAIRFLOW_LOGICAL_DATE"] == "2021-01-01T00:00:00+00:00"
    assert manifest["metadata"]["annotations"]["kairflow.io/logical-date"] == (
        "2021-01-01T00:00:00+00:00"
    )


def test_a_naive_logical_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pod(logical_date=datetime(2021, 1, 1))


def test_the_tasks_env_follows_ours_and_cannot_replace_it() -> None:
    spec = task(bash="x", owner="data-team")
    rendered = RenderedTask(
        bash="x",
        env=[
            EnvVar(name="DAY", value="2021-01-01"),
            EnvVar(name="KAIRFLOW_XCOM_FILE", value="/tmp/xcom.json"),
            EnvVar(name="TOKEN", value_from={"secretKeyRef": {"name": "s", "key": "t"}}),
        ],
    )
    env = base_container(pod(spec, rendered))["env"]
    assert env == [
        *OUR_ENV,
        {"name": "AIRFLOW_CTX_DAG_OWNER", "value": "data-team"},
        {"name": "DAY", "value": "2021-01-01"},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "t"}}},
    ]


def test_env_from_is_passed_through() -> None:
    spec = task(
        bash="x", envFrom=[{"configMapRef": {"name": "vars"}}, {"secretRef": {"name": "c"}}]
    )
    container = base_container(pod(spec, RenderedTask(bash="x")))
    assert container["envFrom"] == [
        {"configMapRef": {"name": "vars"}},
        {"secretRef": {"name": "c"}},
    ]


TEMPLATE: dict[str, Any] = {
    "metadata": {
        "name": "ignored",
        "namespace": "ignored",
        "ownerReferences": [{"kind": "Ignored"}],
        "labels": {"team": "data", "kairflow.io/task": "spoofed"},
        "annotations": {"cost-center": "42"},
    },
    "spec": {
        "serviceAccountName": "etl",
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "gpu", "operator": "Exists"}],
        "affinity": {"nodeAffinity": {"x": 1}},
        "securityContext": {"runAsUser": 1000},
        "imagePullSecrets": [{"name": "regcred"}],
        "priorityClassName": "high",
        "schedulerName": "batch",
        "restartPolicy": "Always",
        "activeDeadlineSeconds": 9,
        "volumes": [{"name": "data", "emptyDir": {}}],
        "initContainers": [{"name": "fetch", "image": "busybox"}],
        "containers": [
            {"name": "proxy", "image": "envoy"},
            {
                "name": "base",
                "image": "t:1",
                "command": ["ignored"],
                "args": ["ignored"],
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                "workingDir": "/data",
                "env": [
                    {"name": "REGION", "value": "eu"},
                    {"name": "DAY", "value": "template"},
                    {"name": "KAIRFLOW_TASK", "value": "spoofed"},
                ],
                "envFrom": [{"configMapRef": {"name": "common"}}],
                "terminationMessagePath": "/tmp/ignored",
            },
        ],
    },
}


def templated_pod(**fields: Any) -> dict[str, Any]:
    spec = task(bash="x", podTemplate=copy.deepcopy(TEMPLATE), **fields)
    rendered = RenderedTask(
        bash="x", env=[EnvVar(name="DAY", value="task"), EnvVar(name="Z", value="z")]
    )
    return pod(spec, rendered, execution_timeout_seconds=60)


def test_the_pod_template_is_merged_under_ours() -> None:
    manifest = templated_pod()
    meta, spec = manifest["metadata"], manifest["spec"]
    assert meta["name"] == f"{RUN}-first-1"
    assert meta["namespace"] == "team-a"
    assert meta["ownerReferences"][0]["kind"] == "DagRun"
    assert meta["labels"]["team"] == "data"
    assert meta["labels"]["kairflow.io/task"] == "first"
    assert meta["annotations"]["cost-center"] == "42"
    assert spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] == 60
    for key in (
        "serviceAccountName",
        "nodeSelector",
        "tolerations",
        "affinity",
        "securityContext",
        "imagePullSecrets",
        "priorityClassName",
        "schedulerName",
        "volumes",
        "initContainers",
    ):
        assert spec[key] == TEMPLATE["spec"][key], key
    assert [c["name"] for c in spec["containers"]] == ["base", "proxy"]
    assert spec["containers"][1] == {"name": "proxy", "image": "envoy"}
    assert spec["containers"][0] == {
        "name": "base",
        "image": "t:1",
        "command": ["bash", "-c", WRAPPER, "x"],
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        "workingDir": "/data",
        "env": [
            *OUR_ENV,
            {"name": "REGION", "value": "eu"},
            {"name": "DAY", "value": "task"},
            {"name": "Z", "value": "z"},
        ],
        "envFrom": [{"configMapRef": {"name": "common"}}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def test_the_tasks_env_from_adds_to_the_templates() -> None:
    container = base_container(templated_pod(envFrom=[{"secretRef": {"name": "conn"}}]))
    assert container["envFrom"] == [
        {"configMapRef": {"name": "common"}},
        {"secretRef": {"name": "conn"}},
    ]


def test_a_template_without_a_base_container_still_gets_base_first() -> None:
    spec = task(bash="x", podTemplate={"spec": {"containers": [{"name": "side", "image": "s"}]}})
    containers = pod(spec, RenderedTask(bash="x"))["spec"]["containers"]
    assert [c["name"] for c in containers] == ["base", "side"]


def test_extra_labels_and_annotations_are_added_but_ours_win() -> None:
    meta = pod(
        extra_labels={"kairflow.io/backfill": "b1", "kairflow.io/try": "9"},
        extra_annotations={"note": "hi"},
    )["metadata"]
    assert meta["labels"]["kairflow.io/backfill"] == "b1"
    assert meta["labels"]["kairflow.io/try"] == "1"
    assert meta["annotations"]["note"] == "hi"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param({"spec": "x"}, "podTemplate.spec must be a mapping", id="a spec string"),
        pytest.param({"metadata": []}, "podTemplate.metadata must be a mapping", id="bad metadata"),
        pytest.param(
            {"spec": {"containers": {"name": "base"}}},
            "containers must be a list",
            id="containers not a list",
        ),
        pytest.param(
            {"spec": {"containers": [{"name": "base", "env": {"A": "1"}}]}},
            "env must be a list",
            id="env not a list",
        ),
    ],
)
def test_a_malformed_pod_template_is_a_clear_error(template: dict[str, Any], message: str) -> None:
    spec = task(bash="x", podTemplate=template)
    with pytest.raises(ValueError, match=message):
        pod(spec, RenderedTask(bash="x"))


def test_same_inputs_give_identical_pods_and_inputs_are_not_changed() -> None:
    spec = task(bash="x", podTemplate=copy.deepcopy(TEMPLATE))
    rendered = RenderedTask(bash="x", env=[EnvVar(name="A", value="1")])
    first = pod(spec, rendered)
    first["spec"]["containers"][0]["env"].clear()
    first["spec"]["volumes"].clear()
    second = pod(spec, rendered)
    assert second == pod(spec, rendered)
    assert spec.pod_template == TEMPLATE
    assert second["spec"]["volumes"] == [{"name": "data", "emptyDir": {}}]
    assert second["spec"]["containers"][0]["env"][-1] == {"name": "A", "value": "1"}
