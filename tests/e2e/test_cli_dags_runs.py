"""The `kairflow` command as a user runs it against a cluster: list and show DAGs,
pause and unpause, trigger with conf and follow the run, list, get and wait for runs.

Each test runs the installed console script in a subprocess (tests/e2e/cli_stack.py)
against the session's control plane, with the operator and a node agent running the
pods (tests/e2e/stack.py)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kairflow.cli.errors import (
    EXIT_FAILED,
    EXIT_FORBIDDEN,
    EXIT_NOT_FOUND,
    EXIT_TIMEOUT,
    EXIT_USAGE,
)
from tests.e2e.cli_stack import KAIRFLOW, KUBECTL_PLUGIN, Cli, error_of, final_error
from tests.e2e.stack import apply, get_json, stack
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
__all__ = ["stack"]


def dag(name: str, tasks: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {"tasks": tasks, **spec},
    }


GREETER = dag(
    "greeter",
    [
        {"name": "hello", "bash": "echo hello {{ params.who }}"},
        {"name": "bye", "bash": "echo bye", "dependsOn": ["hello"]},
    ],
    params={"who": "world"},
    tags=["demo"],
)
BROKEN = dag("broken", [{"name": "boom", "bash": "echo failing; exit 3"}])


def test_dags_list_and_show_read_like_airflows_dags_page(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, GREETER)
    invalid = dag("looped", [{"name": "a", "dependsOn": ["b"]}, {"name": "b", "dependsOn": ["a"]}])
    apply(kube, stack, invalid)
    wait_for(
        lambda: get_json(kube, stack, "dag", "looped").get("status", {}).get("conditions"),
        timeout=30,
        what="the looped DAG's conditions",
    )
    listing = cli.ok("dags", "list")
    lines = {line.split()[0]: line for line in listing.splitlines()[1:]}
    assert set(lines) == {"greeter", "looped"}, listing
    assert lines["greeter"].split()[1:3] == ["None", "no"]  # manual only, not paused
    assert lines["greeter"].split()[-1] == "yes", listing  # ready
    assert "no: " in lines["looped"] and "cycle" in lines["looped"], listing
    wide = cli.ok("dags", "list", "-o", "wide")
    assert "demo" in wide  # tags

    shown = cli.ok("dags", "show", "greeter")
    assert "hello" in shown and "bye" in shown and "tags" in shown and "demo" in shown, shown
    assert shown.index("hello") < shown.index("bye")

    names = cli.ok("dags", "list", "-o", "name").split()
    assert names == ["dag.kairflow.io/greeter", "dag.kairflow.io/looped"]
    as_json = json.loads(cli.ok("dags", "show", "greeter", "-o", "json"))
    assert as_json["spec"]["params"] == {"who": "world"}
    assert "managedFields" not in as_json["metadata"]
    as_yaml = yaml.safe_load(cli.ok("dags", "list", "-o", "yaml"))
    assert as_yaml["kind"] == "List" and len(as_yaml["items"]) == 2


def test_pause_and_unpause_toggle_the_dag(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, GREETER)
    assert cli.ok("dags", "pause", "greeter").strip() == "dag.kairflow.io/greeter paused"
    assert get_json(kube, stack, "dag", "greeter")["spec"]["paused"] is True
    assert cli.ok("dags", "list").splitlines()[1].split()[2] == "yes"
    cli.ok("dags", "unpause", "greeter")
    assert get_json(kube, stack, "dag", "greeter")["spec"]["paused"] is False

    missing = cli.run("dags", "pause", "greeter", "nope")
    assert missing.returncode == EXIT_NOT_FOUND
    assert 'dag "nope" not found' in error_of(missing)
    assert get_json(kube, stack, "dag", "greeter")["spec"]["paused"] is True  # the rest done


def test_trigger_with_conf_and_wait_follows_the_run_to_success(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, GREETER)
    result = cli.run("dags", "trigger", "greeter", "--conf", '{"who": "kairflow"}', "--wait")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first = out.splitlines()[0]
    assert first.startswith("dagrun.kairflow.io/greeter-manual-") and first.endswith(" created")
    run = first.split()[0].split("/", 1)[1]
    # Not a terminal: one line per change, in the order they happened.
    assert out.index("hello  running") < out.index("hello  success") < out.index("bye  success")
    assert f"dagrun.kairflow.io/{run} success" in out.splitlines()[-1]
    status = get_json(kube, stack, "dagrun", run)
    assert status["spec"]["conf"] == {"who": "kairflow"}

    listed = cli.ok("runs", "list", "greeter")
    assert run in listed and "success" in listed and "2/2" in listed
    details = cli.ok("runs", "get", run)
    assert "hello" in details and "bye" in details and "kairflow" in details
    assert details.index("hello") < details.index("bye")
    assert "success in" in cli.ok("runs", "wait", run).splitlines()[-1]
    assert cli.ok("runs", "list", "--state", "failed").strip() == "No runs found."


def test_a_failed_run_makes_wait_exit_non_zero(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, BROKEN)
    result = cli.run("dags", "trigger", "broken", "--wait", "-o", "json")
    assert result.returncode == EXIT_FAILED
    finished = json.loads(result.stdout)  # the run as it ended, progress on stderr
    assert finished["status"]["state"] == "failed"
    assert finished["status"]["taskInstances"]["boom"]["exitCode"] == 3
    assert "failed" in final_error(result)
    run = finished["metadata"]["name"]
    waited = cli.run("runs", "wait", run)
    assert waited.returncode == EXIT_FAILED
    assert f"dagrun.kairflow.io/{run} failed" in waited.stdout


def test_trigger_for_a_logical_date_names_the_run_after_it(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, {**GREETER, "spec": {**GREETER["spec"], "timezone": "Asia/Seoul"}})
    out = cli.ok("dags", "trigger", "greeter", "--logical-date", "2024-01-05T09:00:00")
    # 09:00 in Seoul is midnight UTC: the name carries the UTC date, as the operator's do.
    assert out.strip() == "dagrun.kairflow.io/greeter-manual-20240105t000000 created"
    again = cli.run("dags", "trigger", "greeter", "--logical-date", "2024-01-05T09:00:00")
    assert again.returncode == EXIT_USAGE and "already exists" in error_of(again)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        pytest.param(
            ["dags", "trigger", "nope"],
            EXIT_NOT_FOUND,
            'dag "nope" not found',
            id="triggering a DAG that does not exist",
        ),
        pytest.param(
            ["dags", "trigger", "greeter", "--conf", "[1]"],
            EXIT_USAGE,
            "must be a JSON object",
            id="conf that is not an object",
        ),
        pytest.param(
            ["dags", "trigger", "greeter", "--conf", "{oops"],
            EXIT_USAGE,
            "not valid JSON",
            id="conf that is not JSON",
        ),
        pytest.param(
            ["dags", "trigger", "greeter", "--conf", "@/no/such/file"],
            EXIT_USAGE,
            "cannot read",
            id="conf from a missing file",
        ),
        pytest.param(
            ["runs", "get", "nope"],
            EXIT_NOT_FOUND,
            'dagrun "nope" not found',
            id="a run that does not exist",
        ),
        pytest.param(
            ["runs", "list", "--state", "done"],
            EXIT_USAGE,
            "not a run state",
            id="a state Airflow does not have",
        ),
        pytest.param(
            ["dags", "list", "-o", "xml"],
            EXIT_USAGE,
            "unknown format",
            id="an output format we do not print",
        ),
    ],
)
def test_mistakes_get_one_line_and_an_exit_code(
    kube: Kube, stack: str, args: list[str], code: int, words: str
) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, GREETER)
    result = cli.run(*args)
    assert result.returncode == code, result.stderr
    assert words in error_of(result)


def test_wait_gives_up_after_its_timeout(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, dag("slow", [{"name": "nap", "bash": "sleep 60"}]))
    run = cli.ok("dags", "trigger", "slow").split()[0].split("/", 1)[1]
    result = cli.run("runs", "wait", run, "--timeout", "2")
    assert result.returncode == EXIT_TIMEOUT
    assert "still" in final_error(result)


def test_kubectl_finds_the_plugin(kube: Kube, stack: str) -> None:
    """`kubectl kairflow` is the same command (krew's naming: kubectl-kairflow on PATH)."""
    apply(kube, stack, GREETER)
    env = {**Cli(kube, stack).env()}
    env["PATH"] = f"{KUBECTL_PLUGIN.parent}:{env.get('PATH', '')}"
    result = subprocess.run(
        ["kubectl", "kairflow", "dags", "list", "-n", stack, "-o", "name"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["dag.kairflow.io/greeter"]
    # kubectl's own completion asks kubectl_complete-kairflow (on PATH too), names from
    # the cluster included.
    completed = subprocess.run(
        ["kubectl", "__complete", "kairflow", "dags", "show", "-n", stack, "gr"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[:2] == ["greeter", ":4"], completed.stdout


def test_grid_graph_and_gantt_draw_the_runs(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, GREETER)
    apply(kube, stack, BROKEN)
    first = cli.ok("dags", "trigger", "greeter", "--wait").splitlines()[0]
    run = first.split()[0].split("/", 1)[1]
    cli.ok("dags", "trigger", "greeter", "--wait", "--conf", '{"who": "again"}')

    grid = cli.ok("runs", "grid", "greeter")
    rows = [line for line in grid.splitlines() if line.startswith(("hello", "bye"))]
    assert [r.split()[0] for r in rows] == ["hello", "bye"], grid  # DAG order
    assert all(r.count("✓") == 2 for r in rows), grid  # two runs, both succeeded

    graph = cli.ok("runs", "graph", run)
    assert graph.index("hello") < graph.index("bye") and "success" in graph, graph
    dot = cli.ok("runs", "graph", run, "-o", "dot")
    assert dot.startswith("digraph") and '"hello" -> "bye"' in dot, dot

    gantt = cli.ok("runs", "gantt", run)
    assert gantt.index("hello") < gantt.index("bye"), gantt

    failed = cli.run("dags", "trigger", "broken", "--wait")
    failed_run = failed.stdout.splitlines()[0].split()[0].split("/", 1)[1]
    assert "✗" in cli.ok("runs", "graph", failed_run)
    empty = cli.ok("runs", "grid", "broken", "--limit", "1")
    assert "boom" in empty


def test_rbac_refusal_is_exit_4_naming_what_is_missing(
    kube: Kube, stack: str, tmp_path: Path
) -> None:
    """A user who may only read DAGs can list them; pausing one is refused by RBAC,
    and the one line says which verb on which resource."""
    apply(kube, stack, GREETER)
    reader = "dag-reader"
    manifests = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": reader}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": reader},
            "rules": [
                {"apiGroups": ["kairflow.io"], "resources": ["dags"], "verbs": ["get", "list"]}
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": reader},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": reader},
            "subjects": [{"kind": "ServiceAccount", "name": reader, "namespace": stack}],
        },
    ]
    for manifest in manifests:
        apply(kube, stack, manifest)

    def token() -> str | None:
        secrets = get_json(kube, stack, "secrets")["items"]
        for secret in secrets:
            annotations = secret["metadata"].get("annotations") or {}
            if annotations.get("kubernetes.io/service-account.name") == reader:
                return base64.b64decode(secret["data"]["token"]).decode()
        return None

    admin = yaml.safe_load(kube.kubeconfig.read_text())
    admin["users"] = [{"name": reader, "user": {"token": wait_for(token, timeout=30)}}]
    for context in admin["contexts"]:
        context["context"]["user"] = reader
    config = tmp_path / "reader.kubeconfig"
    config.write_text(yaml.safe_dump(admin))

    as_reader = Cli(kube, stack)
    env = {**as_reader.env(), "KUBECONFIG": str(config)}
    listed = subprocess.run(
        [str(KAIRFLOW), "dags", "list", "-n", stack, "-o", "name"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["dag.kairflow.io/greeter"]
    paused = subprocess.run(
        [str(KAIRFLOW), "dags", "pause", "greeter", "-n", stack],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert paused.returncode == EXIT_FORBIDDEN
    line = error_of(paused)
    assert line.startswith("error: forbidden:") and 'cannot patch resource "dags"' in line, line


def test_next_execution_and_test_take_a_dag_from_the_cluster(kube: Kube, stack: str) -> None:
    """Airflow's `dags next-execution DAG_ID` / `dags test DAG_ID`: a deployed DAG by
    name. next-execution follows the operator's bookmark, so it names the same next
    run as the DAG's status."""
    cli = Cli(kube, stack)
    daily = dag(
        "daily",
        [{"name": "hi", "bash": "echo hi {{ ds }}"}],
        schedule="@daily",
        startDate="2024-01-01T00:00:00Z",
        catchup=False,
    )
    apply(kube, stack, daily)

    def next_run() -> str | None:
        status = get_json(kube, stack, "dag", "daily").get("status") or {}
        if not (status.get("lastRun") and status.get("nextRun")):
            return None
        return str(status["nextRun"]["logicalDate"])

    expected = wait_for(next_run, timeout=60, what="the operator's first run and next run")
    shown = subprocess.run(
        [str(KAIRFLOW), "dags", "next-execution", "daily", "--namespace", stack, "-o", "json"],
        capture_output=True,
        text=True,
        env=cli.env(),
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    (first,) = json.loads(shown.stdout)
    assert first["logical_date"] == expected

    tested = cli.run("dags", "test", "daily", "--logical-date", "2024-03-01")
    assert tested.returncode == 0, tested.stderr
    assert "hi 2024-03-01" in tested.stderr and "run success" in tested.stderr
    missing = cli.run("dags", "test", "nope")
    assert missing.returncode == EXIT_NOT_FOUND and 'dag "nope" not found' in error_of(missing)
