"""`kairflow dags test` end to end: real task processes, real exit codes, XCom files.

The command runs in-process (each task is still a real local process); one test runs
it as a separate process, as a user or a script does. Invalid input is refused before
anything runs: tests/unit/cli/test_dags_test.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.cli import kairflow, write_dag

ROOT = Path(__file__).resolve().parents[2]


def dags_test(path: Path, *args: str) -> Result:
    return kairflow("dags", "test", str(path), *args)


def as_json(result: Result | subprocess.CompletedProcess[str]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def states(result: Result) -> dict[str, str]:
    return {k: v["state"] for k, v in as_json(result)["tasks"].items()}


ALL_OK = "success"


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        pytest.param(
            "sample_dag.yaml",
            dict.fromkeys(["first", "second", "task_0", "task_1", "task_2", "finalize"], ALL_OK),
            id="sample_dag",
        ),
        pytest.param(
            "my_python_dag.yaml",
            dict.fromkeys(["t1", "t2", "t3", "t4"], ALL_OK),
            id="my_python_dag",
        ),
        pytest.param(
            "hello_world.yaml", {"print_date": ALL_OK, "print_hello": ALL_OK}, id="hello_world"
        ),
        pytest.param(
            "tutorial.yaml",
            dict.fromkeys(["print_date", "sleep", "templated"], ALL_OK),
            id="tutorial",
        ),
        pytest.param(
            "xcom_pipeline.yaml",
            dict.fromkeys(["extract", "transform", "load"], ALL_OK),
            id="xcom pipeline",
        ),
        pytest.param(
            "branching.yaml",
            {"choose": ALL_OK, "weekday": "skipped", "weekend": ALL_OK, "join": ALL_OK},
            id="branching on a Saturday",
        ),
        pytest.param(
            "sensor_and_mapping.yaml",
            {
                "wait_a_moment": ALL_OK,
                "list_parts": ALL_OK,
                "process[0]": ALL_OK,
                "process[1]": ALL_OK,
                "process[2]": ALL_OK,
                "report": ALL_OK,
            },
            id="sensor and mapping",
        ),
        pytest.param(
            "task_groups.yaml",
            dict.fromkeys(
                [
                    "extract",
                    "transform.clean",
                    "transform.join",
                    "transform.checks.rows",
                    "transform.checks.schema",
                    "load",
                ],
                ALL_OK,
            ),
            id="task groups",
        ),
        pytest.param(
            "setup_teardown.yaml",
            dict.fromkeys(["create_scratch", "extract", "summarize", "remove_scratch"], ALL_OK),
            id="setup and teardown around the work",
        ),
        pytest.param(
            "big_xcom.yaml",
            {
                "extract": ALL_OK,
                "report": ALL_OK,
                "regions": ALL_OK,
                **{f"load[{i}]": ALL_OK for i in range(300)},
            },
            id="big XComs: a template sums 3,000 rows, a task maps over 300 regions",
        ),
        pytest.param(
            "latest_only.yaml",
            {"load": ALL_OK, "latest_only": ALL_OK, "send_report": "skipped"},
            id="latest only skips the report of a past interval (as Airflow's dags test)",
        ),
    ],
)
def test_every_example_dag_runs_to_the_expected_result(
    example: str, expected: dict[str, str]
) -> None:
    result = dags_test(ROOT / "dags" / example, "--logical-date", "2024-01-06", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["state"] == "success"
    assert states(result) == expected


def test_the_json_contract_is_exact_for_a_script_running_the_command() -> None:
    """The one test that runs `kairflow dags test` as its own process."""
    command = [sys.executable, "-m", "kairflow.cli.main", "dags", "test"]
    path = ROOT / "dags" / "hello_world.yaml"
    result = subprocess.run(
        [*command, str(path), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(as_json(result)) == {"state", "tasks"}
    for task in as_json(result)["tasks"].values():
        assert set(task) == {"state", "try_number"}
        assert task["try_number"] == 1


def test_text_output_says_images_are_ignored_and_shows_logs() -> None:
    result = dags_test(ROOT / "dags" / "tutorial.yaml", "--logical-date", "2024-03-01")
    assert result.exit_code == 0
    assert "images are ignored" in result.stderr
    assert "2024-03-08" in result.stderr  # macros.ds_add(ds, 7) rendered and run
    assert "run success" in result.stderr


def test_text_output_is_the_run_tree_colored_from_the_one_state_table(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: boom, bash: "exit 3"}
        - {name: after, bash: "true", dependsOn: [boom]}
        """,
    )
    result = kairflow("dags", "test", str(path), env={"FORCE_COLOR": "1", "COLUMNS": "100"})
    assert result.exit_code == 1
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stderr)
    lines = [
        line for line in plain.splitlines() if line.lstrip("└╴ ").startswith(("boom", "after"))
    ]
    # The last frame is the final tree (a colored terminal also gets live frames before).
    assert [line.lstrip("└╴ ").split()[0] for line in lines[-2:]] == ["boom", "after"]
    assert "✗ failed" in plain and "↑ upstream_failed" in plain
    assert "\x1b[31m" in result.stderr  # red, from the one state table (cli.views.states)


def test_a_failing_then_succeeding_task_is_retried(tmp_path: Path) -> None:
    marker = tmp_path / "tried"
    path = write_dag(
        tmp_path,
        f"""
        tasks:
        - name: flaky
          retries: 2
          retryDelay: 1h
          bash: |
            if [ -e {marker} ]; then echo second; exit 0; fi
            touch {marker}; echo first; exit 1
        """,
    )
    result = dags_test(path, "-o", "json", "--no-retry-delay")
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["tasks"]["flaky"] == {"state": "success", "try_number": 2}


def test_a_failed_run_exits_1_and_fails_downstream(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: a, bash: "exit 3"}
        - {name: b, bash: "echo never"}
        flow: ["a >> b"]
        """,
    )
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 1
    assert as_json(result)["state"] == "failed"
    assert states(result) == {"a": "failed", "b": "upstream_failed"}


def test_the_run_state_follows_the_leaves_like_airflow(tmp_path: Path) -> None:
    """An all_done cleanup leaf that succeeds makes the run succeed (Airflow's rule)."""
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: a, bash: "exit 3"}
        - {name: b, bash: "echo never"}
        - {name: cleanup, bash: "echo cleaning", triggerRule: all_done}
        flow: ["a >> b >> cleanup"]
        """,
    )
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 0
    assert states(result) == {"a": "failed", "b": "upstream_failed", "cleanup": "success"}


def test_a_teardown_cleans_up_after_failed_work_and_the_run_fails_for_the_work(
    tmp_path: Path,
) -> None:
    """Airflow's setup/teardown: the teardown runs although the work failed; the run's
    state comes from the work, and a failing teardown alone would not fail it."""
    marker = tmp_path / "resource"
    path = write_dag(
        tmp_path,
        f"""
        tasks:
        - {{name: create, setup: true, bash: "touch {marker}"}}
        - {{name: work, bash: "test -e {marker} && exit 3"}}
        - {{name: delete, teardown: true, bash: "rm {marker}"}}
        - {{name: never, bash: "echo never"}}
        flow: ["create >> work >> never >> delete", "create >> delete"]
        """,
    )
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 1
    assert states(result) == {
        "create": "success",
        "work": "failed",
        "never": "upstream_failed",
        "delete": "success",
    }
    assert not marker.exists()


def test_a_failing_teardown_leaves_the_run_successful(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: create, setup: true, bash: "true"}
        - {name: work, bash: "true"}
        - {name: delete, teardown: true, bash: "exit 1"}
        flow: ["create >> work >> delete", "create >> delete"]
        """,
    )
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 0
    assert states(result) == {"create": "success", "work": "success", "delete": "failed"}


def test_a_task_exiting_with_a_skip_code_skips_itself(tmp_path: Path) -> None:
    """Airflow's BashOperator skip_on_exit_code: exit 99 skips, not retried; the tasks
    after it follow their trigger rules."""
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: maybe, bash: "echo nothing to do; exit 99", skipOnExitCode: [99], retries: 3}
        - {name: strict, bash: "echo never"}
        - {name: tolerant, bash: "echo runs", triggerRule: none_failed}
        flow: ["maybe >> [strict, tolerant]"]
        """,
    )
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["state"] == "success"
    assert states(result) == {"maybe": "skipped", "strict": "skipped", "tolerant": "success"}
    assert as_json(result)["tasks"]["maybe"]["try_number"] == 1


def test_execution_timeout_kills_the_process(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: slow, bash: "sleep 30", executionTimeout: 1s}
        """,
    )
    started = datetime.now()
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 1
    assert states(result) == {"slow": "failed"}
    assert (datetime.now() - started).total_seconds() < 20


def test_xcom_flows_downstream_and_conf_overrides_params(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    path = write_dag(
        tmp_path,
        f"""
        params: {{greeting: hello}}
        tasks:
        - name: push
          python: |
            import json, os
            json.dump({{"n": 41}}, open(os.environ["KAIRFLOW_XCOM_FILE"], "w"))
        - name: use
          bash: echo "{{{{ params.greeting }}}} {{{{ ti.xcom_pull('push')['n'] + 1 }}}}" > {out}
        flow: ["push >> use"]
        """,
    )
    result = dags_test(path, "-o", "json", "--conf", '{"greeting": "hi"}')
    assert result.exit_code == 0, result.stderr
    assert out.read_text().strip() == "hi 42"


def test_a_big_xcom_flows_downstream_and_one_over_1_mib_fails_with_its_size(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.txt"
    path = write_dag(
        tmp_path,
        f"""
        tasks:
        - name: push
          python: |
            import json, os
            rows = [{{"id": i, "name": "row-%05d" % i}} for i in range(3000)]
            json.dump(rows, open(os.environ["KAIRFLOW_XCOM_FILE"], "w"))
        - name: use
          bash: |
            rows='{{{{ ti.xcom_pull("push") | length }}}}'
            echo "$rows {{{{ ti.xcom_pull('push')[-1].name }}}}" > {out}
        - name: huge
          python: |
            import os
            open(os.environ["KAIRFLOW_XCOM_FILE"], "w").write('"' + "x" * 2411722 + '"')
        flow: ["push >> use"]
        """,
    )
    result = dags_test(path, "-o", "json")
    assert states(result) == {"push": "success", "use": "success", "huge": "failed"}
    assert out.read_text().strip() == "3000 row-02999"
    shown = " ".join(dags_test(path).stderr.split())  # the text output, unwrapped
    assert "XCom is 2.3 MiB; the limit is 1 MiB (see docs/xcom.md)" in shown


def test_invalid_xcom_fails_the_task(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        tasks:
        - {name: bad, bash: 'echo "{oops" > "$KAIRFLOW_XCOM_FILE"'}
        """,
    )
    result = dags_test(path, "-o", "json")
    assert result.exit_code == 1 and states(result) == {"bad": "failed"}


def test_parallel_tasks_overlap_in_time(tmp_path: Path) -> None:
    from kairflow.cli.manifests import load_dag
    from kairflow.core.run_model import RunContext
    from kairflow.localnode.local_run import LocalRun

    dag = load_dag(ROOT / "dags" / "sample_dag.yaml")
    when = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    run = RunContext(
        namespace="local",
        dag_name="sample-dag",
        name="sample-dag-manual-x",
        uid=None,
        run_type="manual",
        run_id="manual__x",
        logical_date=when,
        data_interval_start=when,
        data_interval_end=when,
        spec=dag.spec,
    )
    status = LocalRun(run, tmp_path).execute()
    assert status.state == "success"
    tis = status.task_instances
    middle = [tis[f"task_{i}"] for i in range(3)]
    starts = [datetime.fromisoformat(t.start_date or "") for t in middle]
    ends = [datetime.fromisoformat(t.end_date or "") for t in middle]
    assert max(starts) < min(ends), "the three middle tasks should run at the same time"
    assert datetime.fromisoformat(tis["finalize"].start_date or "") >= max(ends)


def test_the_callbacks_example_runs_its_callbacks_and_posts_its_webhook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """dags/callbacks.yaml: onRetry and onSuccess of `flaky`, and the DAG's webhook,
    whose URL (a Secret's in a cluster) comes from the environment here."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posts: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        monkeypatch.setenv("KAIRFLOW_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/")
        result = dags_test(ROOT / "dags" / "callbacks.yaml", "-o", "json")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    outcome = as_json(result)
    assert outcome["tasks"]["flaky"] == {"state": "success", "try_number": 2}
    assert [(c["task"], c["kind"], c["try_number"], c["state"]) for c in outcome["callbacks"]] == [
        ("flaky", "onRetry", 1, "success"),
        ("flaky", "onSuccess", 2, "success"),
        (None, "onSuccess", 1, "success"),
    ]
    [post] = posts
    text = json.loads(post)["text"]
    assert re.fullmatch(r":white_check_mark: callbacks run manual__\S+ succeeded", text), text


def test_a_missed_deadline_runs_its_callback_locally(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        """
        deadlines:
        - {name: quick, reference: dagrunQueuedAt, interval: 1s,
           callback: {bash: 'echo "alert: {{ callback.message }}"'}}
        - {name: slow, reference: dagrunQueuedAt, interval: 1h, callback: {bash: "echo never"}}
        tasks:
        - {name: work, bash: "sleep 2"}
        """,
    )
    result = dags_test(path)
    assert result.exit_code == 0, result.output
    assert re.search(r"alert: missed deadline quick \(\S+\)", result.output), result.output
    assert "never" not in result.output
    outcome = as_json(dags_test(path, "-o", "json"))
    assert [(c["kind"], c["name"], c["state"]) for c in outcome["callbacks"]] == [
        ("deadline", "quick", "success")
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["--approve"], {"build": "success", "approve_release": "success", "release": "success"},
            id="--approve approves every approval task",
        ),
        pytest.param(
            ["--reject"], {"build": "success", "approve_release": "skipped", "release": "skipped"},
            id="--reject rejects them (this one skips on a rejection)",
        ),
        pytest.param(
            ["--no-retry-delay"],
            {"build": "success", "approve_release": "skipped", "release": "skipped"},
            id="with no answer the timeout's default outcome applies",
        ),
    ],
)  # fmt: skip
def test_approval_tasks_are_answered_by_flags(args: list[str], expected: dict[str, str]) -> None:
    result = dags_test(ROOT / "dags" / "approval.yaml", *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert states(result) == expected


def test_an_approval_nobody_can_answer_stops_the_run_saying_how(tmp_path: Path) -> None:
    path = write_dag(tmp_path, "tasks: [{name: ok, approval: {subject: 'go?'}}]")
    result = dags_test(path)
    assert result.exit_code == 1
    assert "ok waits for an answer: pass --approve or --reject" in result.stderr


def test_cross_dag_tasks_see_no_other_dag(tmp_path: Path) -> None:
    """dags test runs one DAG: a trigger fails saying there is no DAG to trigger, a
    sensor waits for its timeout (skipped with the virtual clock, here softFail)."""
    trigger = dags_test(ROOT / "dags" / "trigger_controller.yaml", "-o", "json")
    assert trigger.exit_code == 1
    assert states(trigger) == {"trigger": "failed", "announce": "upstream_failed"}
    text = dags_test(ROOT / "dags" / "trigger_controller.yaml")
    assert "dags test runs one DAG" in text.stderr
    assert "cannot trigger DAG 'report-build': not found in namespace local" in " ".join(
        text.stderr.split()
    )
    sensor = dags_test(
        ROOT / "dags" / "external_task_sensor.yaml", "--no-retry-delay", "-o", "json"
    )
    assert sensor.exit_code == 0, sensor.stderr
    assert states(sensor) == {"wait_for_tutorial": "skipped", "report": "skipped"}
