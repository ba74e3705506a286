"""Callbacks over a whole run on the fake clock: which fire, once each, and that
they never change the run's outcome."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from kairflow.api.callbacks import CallbackKind
from kairflow.api.dagrun import DagRunStatus
from kairflow.core.naming import callback_pod_name
from kairflow.core.planner import plan
from kairflow.core.run_model import CreatePod
from tests.unit.core.planner_harness import OK, Outcome, Simulation, fail, make_run, make_spec

NOTE = {"bash": "echo called"}


def fired(status: DagRunStatus) -> list[tuple[str | None, str, int, str]]:
    return [(c.task, c.kind.value, c.try_number, c.state.value) for c in status.callbacks]


CASES = [
    pytest.param(
        [{"name": "a", "bash": "x", "retries": 1, "onFailure": [NOTE], "onRetry": [NOTE]}],
        {},
        {"a": [fail(), fail()]},
        [("a", "onRetry", 1, "success"), ("a", "onFailure", 2, "success")],
        id="a task that fails after its last retry fires onRetry, then onFailure once",
    ),
    pytest.param(
        [{"name": "a", "bash": "x", "retries": 2, "onRetry": [NOTE], "onSuccess": [NOTE]}],
        {},
        {"a": [fail(), OK]},
        [("a", "onRetry", 1, "success"), ("a", "onSuccess", 2, "success")],
        id="a task that succeeds on its retry fires onRetry then onSuccess",
    ),
    pytest.param(
        [{"name": "a", "bash": "x", "retries": 2, "onExecute": [NOTE]}],
        {},
        {"a": [fail(), fail(), OK]},
        [
            ("a", "onExecute", 1, "success"),
            ("a", "onExecute", 2, "success"),
            ("a", "onExecute", 3, "success"),
        ],
        id="every try fires onExecute",
    ),
    pytest.param(
        [{"name": "a", "bash": "x", "onFailure": [NOTE], "onRetry": [NOTE]}],
        {},
        {},
        [],
        id="a task that succeeds fires neither onFailure nor onRetry",
    ),
    pytest.param(
        [{"name": "a", "bash": "x"}, {"name": "b", "bash": "x", "onFailure": [NOTE]}],
        {"flow": ["a >> b"]},
        {"a": [fail()]},
        [],
        id="an upstream_failed task fires no onFailure",
    ),
    pytest.param(
        [{"name": "a", "bash": "x"}, {"name": "b", "bash": "x"}],
        {"flow": ["a >> b"], "onFailure": [NOTE], "onSuccess": [NOTE]},
        {"a": [fail()]},
        [(None, "onFailure", 1, "success")],
        id="a failed run fires the DAG's onFailure once and not its onSuccess",
    ),
    pytest.param(
        [{"name": "a", "bash": "x"}],
        {"onFailure": [NOTE], "onSuccess": [NOTE, {"python": "print(1)"}]},
        {},
        [(None, "onSuccess", 1, "success"), (None, "onSuccess", 1, "success")],
        id="a successful run fires every one of the DAG's onSuccess callbacks",
    ),
    pytest.param(
        [{"name": "a", "bash": "x"}, {"name": "b", "bash": "x", "onFailure": []}],
        {"defaults": {"onFailure": [NOTE]}},
        {"a": [fail()], "b": [fail()]},
        [("a", "onFailure", 1, "success")],
        id="the DAG's defaults give a task its callback, and an empty list turns it off",
    ),
    pytest.param(
        [{"name": "m", "bash": "x", "expand": {"items": [1, 2]}, "onFailure": [NOTE]}],
        {},
        {"m": [fail()]},
        [("m[0]", "onFailure", 1, "success"), ("m[1]", "onFailure", 1, "success")],
        id="each instance of a mapped task fires its own callback",
    ),
    pytest.param(
        [{"name": "a", "bash": "{{ nope }}", "retries": 3, "onFailure": [NOTE]}],
        {},
        {},
        [("a", "onFailure", 1, "success")],
        id="a task whose template fails fires onFailure",
    ),
    pytest.param(
        [{"name": "e", "onSuccess": [NOTE]}],
        {},
        {},
        [("e", "onSuccess", 1, "success")],
        id="an empty task that succeeds fires onSuccess",
    ),
]


@pytest.mark.parametrize(("tasks", "extra", "script", "expected"), CASES)
def test_which_callbacks_fire(
    tasks: list[dict[str, Any]],
    extra: dict[str, Any],
    script: dict[str, list[Outcome]],
    expected: list[tuple[str | None, str, int, str]],
) -> None:
    sim = Simulation(make_run(make_spec(tasks, **extra)), script=script)
    status = sim.run_to_quiet()
    assert sorted(fired(status), key=str) == sorted(expected, key=str)
    callback_pods = [p for p in sim.pods.values() if p.key.startswith("callback:")]
    assert len(callback_pods) == len(expected)


def test_a_failing_callback_is_recorded_and_the_run_still_succeeds() -> None:
    run = make_run(make_spec([{"name": "a", "bash": "x", "onSuccess": [NOTE]}]))
    pod = callback_pod_name(run.name, "a", CallbackKind.ON_SUCCESS, 1, 0)
    sim = Simulation(run, script={f"callback:{pod}": [fail(3)]})
    status = sim.run_to_quiet()
    assert status.state == "success"
    assert fired(status) == [("a", "onSuccess", 1, "failed")]
    assert status.callbacks[0].message == "exit code 3"
    assert status.callbacks[0].pod == pod
    assert [e.reason for e in sim.events if e.type == "Warning"] == ["CallbackFailed"]


def test_a_run_waits_for_nothing_but_its_status_shows_the_callback_running() -> None:
    run = make_run(make_spec([{"name": "a", "bash": "x"}], onSuccess=[NOTE]))
    pod = callback_pod_name(run.name, None, CallbackKind.ON_SUCCESS, 1, 0)
    sim = Simulation(run, script={f"callback:{pod}": [Outcome(seconds=30)]})
    status = sim.run_to_end()
    assert status.state == "success"
    assert fired(status) == [(None, "onSuccess", 1, "queued")]
    sim.now = sim.now.replace(second=10)
    sim.step()
    assert fired(sim.status) == [(None, "onSuccess", 1, "running")]
    assert sim.status.state == "success"


def test_a_callback_whose_template_fails_is_recorded_failed_without_a_pod() -> None:
    run = make_run(make_spec([{"name": "a", "bash": "x", "onSuccess": [{"bash": "{{ nope }}"}]}]))
    sim = Simulation(run)
    status = sim.run_to_quiet()
    assert status.state == "success"
    assert fired(status) == [("a", "onSuccess", 1, "failed")]
    assert status.callbacks[0].pod is None
    assert "template error" in (status.callbacks[0].message or "")


def test_a_run_cleared_after_failing_fires_the_dags_onfailure_again_under_a_new_name() -> None:
    from kairflow.api.dagrun import ClearRequest
    from kairflow.core.interventions import apply_requests

    run = make_run(make_spec([{"name": "a", "bash": "x"}], onFailure=[NOTE]))
    sim = Simulation(run, script={"a": [fail()]})
    sim.run_to_quiet()
    apply_requests(sim.status, run.spec, ClearRequest(id="1"), None, sim.now)
    status = sim.run_to_quiet()
    assert fired(status) == [(None, "onFailure", 1, "success"), (None, "onFailure", 2, "success")]
    assert len({c.pod for c in status.callbacks}) == 2


def test_an_operator_killed_before_its_status_write_adopts_the_callback_pod() -> None:
    """The pass that saw the task fail created the callback's pod, then its status was
    lost: the next pass decides the same callback and finds its pod, creating none."""
    run = make_run(make_spec([{"name": "a", "bash": "x", "onFailure": [NOTE]}]))
    sim = Simulation(run, script={"a": [fail()]})
    sim.run_to_end()
    lost = sim.plans[-1]
    before = sim.plans[-2].status
    assert [a.key for a in lost.actions if isinstance(a, CreatePod)] == [
        f"callback:{lost.status.callbacks[0].pod}"
    ]
    again = plan(run, before, sim.observed(), sim.now)
    assert not [a for a in again.actions if isinstance(a, CreatePod)]
    assert fired(again.status) == [("a", "onFailure", 1, "running")]  # its pod runs
    assert again.status.callbacks[0].pod == lost.status.callbacks[0].pod


def _env(manifest: dict[str, Any]) -> dict[str, Any]:
    container = manifest["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def _callback_manifest(
    callback: dict[str, Any], script: dict[str, list[Outcome]]
) -> dict[str, Any]:
    tasks = [{"name": "extract", "bash": "x", "onFailure": [callback]}]
    sim = Simulation(make_run(make_spec(tasks)), script=script)
    sim.run_to_end()
    pods = [p for p in sim.pods.values() if p.key.startswith("callback:")]
    assert len(pods) == 1
    return pods[0].manifest


def test_a_callback_pod_gets_the_context_as_environment_and_templates() -> None:
    manifest = _callback_manifest(
        {"bash": "echo '{{ ti.task_id }} {{ ti.try_number }} {{ ti.state }} {{ exception }}'"},
        {"extract": [fail(7)]},
    )
    env = _env(manifest)
    assert env["KAIRFLOW_TASK"] == "extract"
    assert env["KAIRFLOW_TRY_NUMBER"] == "1"
    assert env["KAIRFLOW_CALLBACK"] == "on_failure"
    assert env["KAIRFLOW_STATE"] == "failed"
    assert env["KAIRFLOW_MESSAGE"] == "exit code 7"
    assert env["KAIRFLOW_RUN_ID"] == "manual__2024-01-01T00:00:00+00:00"
    command = manifest["spec"]["containers"][0]["command"]
    assert command[-1] == "echo 'extract 1 failed exit code 7'"
    labels = manifest["metadata"]["labels"]
    assert labels["kairflow.io/callback"] == "onFailure"
    assert "kairflow.io/task" not in labels
    assert manifest["metadata"]["ownerReferences"][0]["kind"] == "DagRun"


def test_a_webhook_pod_posts_the_default_slack_text() -> None:
    manifest = _callback_manifest(
        {"webhook": {"urlFrom": {"name": "slack", "key": "url"}, "headersFrom": "slack-headers"}},
        {"extract": [fail()]},
    )
    env = _env(manifest)
    assert env["KAIRFLOW_WEBHOOK_URL"] == {"secretKeyRef": {"name": "slack", "key": "url"}}
    payload = json.loads(base64.b64decode(env["KAIRFLOW_WEBHOOK_PAYLOAD"]))
    assert payload == {
        "text": "Task extract failed on try 1 (DAG d, run manual__2024-01-01T00:00:00+00:00): "
        "exit code 1"
    }
    container = manifest["spec"]["containers"][0]
    assert container["envFrom"] == [
        {"secretRef": {"name": "slack-headers"}, "prefix": "KAIRFLOW_WEBHOOK_HEADER_"}
    ]
    assert container["command"][:2] == ["python", "-c"]
    assert "def send(" in container["command"][2]
    # The kubelet expands $(VAR) in args: the notifier's source must hold none.
    assert "$(" not in container["command"][2]


def test_a_webhook_body_template_gives_the_whole_payload() -> None:
    body = (
        '{"dag": "{{ dag.dag_id }}", "failed": "{{ ti.task_id }}", "why": {{ exception | tojson }}}'
    )
    manifest = _callback_manifest(
        {"webhook": {"url": "http://127.0.0.1:9/hook", "body": body}}, {"extract": [fail(2)]}
    )
    payload = json.loads(base64.b64decode(_env(manifest)["KAIRFLOW_WEBHOOK_PAYLOAD"]))
    assert payload == {"dag": "d", "failed": "extract", "why": "exit code 2"}


def test_a_webhook_body_that_is_not_json_fails_the_callback_not_the_run() -> None:
    tasks = [
        {"name": "a", "bash": "x", "onSuccess": [{"webhook": {"url": "http://h", "body": "{oops"}}]}
    ]
    status = Simulation(make_run(make_spec(tasks))).run_to_quiet()
    assert status.state == "success"
    assert fired(status) == [("a", "onSuccess", 1, "failed")]
    assert "did not render to JSON" in (status.callbacks[0].message or "")


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        pytest.param(
            {"tasks": [{"name": "a", "bash": "x", "onFailure": [{"bash": "echo {{ oops"}]}]},
            "task 'a': on_failure[0]: bash: ",
            id="a task callback whose bash template does not parse is a DAG problem",
        ),
        pytest.param(
            {"defaults": {"onRetry": [{"webhook": {"url": "http://h", "text": "{% if %}"}}]}},
            "defaults: on_retry[0]: webhook.text: ",
            id="a default webhook whose text does not parse is a DAG problem",
        ),
        pytest.param(
            {
                "deadlines": [
                    {
                        "reference": "dagrunQueuedAt",
                        "interval": "1h",
                        "callback": {"webhook": {"url": "http://h", "body": "{{ }"}},
                    }
                ]
            },
            "deadlines[0].callback: webhook.body: ",
            id="a deadline's callback whose body does not parse is a DAG problem",
        ),
    ],
)
def test_callback_templates_are_checked_when_the_dag_is_read(
    extra: dict[str, Any], problem: str
) -> None:
    from kairflow.core.validation import validate_dag

    fields = {"tasks": [{"name": "a", "bash": "x"}], **extra}
    problems = validate_dag(make_spec(fields.pop("tasks"), **fields))
    assert len(problems) == 1 and problems[0].startswith(problem), problems
