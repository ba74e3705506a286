"""`kairflow backfill create|list|get|delete` end to end: the real command, as a
subprocess, against the operator and a node agent that runs the tasks.

The pure parts (dates, names, the plan's rows) are in tests/unit/cli/test_backfill_*.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kairflow.cli.errors import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE
from tests.e2e.cli_stack import Cli, error_of
from tests.e2e.stack import apply, get_json, stack
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
__all__ = ["stack"]

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


def daily_dag(name: str, bash: str) -> dict[str, Any]:
    """A paused @daily DAG: the scheduler makes no runs of its own, only backfills do."""
    return {
        "apiVersion": "kairflow.io/v1alpha1",
        "kind": "DAG",
        "metadata": {"name": name},
        "spec": {
            "schedule": "@daily",
            "startDate": "2024-01-01",
            "paused": True,
            "tasks": [{"name": "say", "bash": bash}],
        },
    }


def plan_of(cli: Cli, *args: str) -> list[dict[str, str]]:
    out = json.loads(cli.ok("backfill", "create", *args, "--dry-run", "-o", "json"))
    plan: list[dict[str, str]] = out["plan"]
    return plan


def actions(plan: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(p["logical_date"][:10], p["action"]) for p in plan]


def backfill_runs(kube: Kube, ns: str, name: str) -> dict[str, str]:
    """Logical day -> state of the runs a Backfill made (as kubectl sees them)."""
    listed = get_json(kube, ns, "dagruns", "-l", f"kairflow.io/backfill={name}")["items"]
    return {
        (r.get("status") or {}).get("logicalDate", "")[:10]: (r.get("status") or {}).get("state")
        for r in listed
    }


def test_backfill_a_daily_dag_from_the_cli(kube: Kube, stack: str) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, daily_dag("greet", 'echo "hello {{ ds }}"'))
    # Wait for the operator to have seen the DAG (its status), as a user would.
    wait_for(lambda: get_json(kube, stack, "dag", "greet").get("status"), what="DAG observed")

    # --dry-run: exactly the three days, all to create, and nothing written.
    plan = plan_of(cli, "greet", "--from", DAYS[0], "--to", DAYS[-1])
    assert actions(plan) == [(day, "create") for day in DAYS]
    table = cli.ok("backfill", "create", "greet", "--from", DAYS[0], "--to", DAYS[-1], "--dry-run")
    assert "3 runs (3 to create, 0 to clear, 0 skipped)" in table
    assert "dry run: nothing was created" in table
    assert get_json(kube, stack, "backfills")["items"] == []
    assert get_json(kube, stack, "dagruns")["items"] == []

    # create: the default name, the Backfill, its three runs, all successful.
    out = cli.ok("backfill", "create", "greet", "--from", DAYS[0], "--to", DAYS[-1])
    assert out.strip() == "backfill.kairflow.io/greet-20240101-20240103 created (3 runs)"
    name = "greet-20240101-20240103"
    done = wait_for(
        lambda: (
            (get_json(kube, stack, "backfill", name).get("status") or {}).get("state")
            == "completed"
            or None
        ),
        timeout=120,
        interval=0.5,
        what="backfill completed",
    )
    assert done
    assert backfill_runs(kube, stack, name) == dict.fromkeys(DAYS, "success")

    # The same range again, to rerun it all: refused by name, with the way out.
    again = cli.run(
        "backfill", "create", "greet", "--from", DAYS[0], "--to", DAYS[-1],
        "--reprocess", "completed",
    )  # fmt: skip
    assert again.returncode == EXIT_USAGE
    assert "already exists" in error_of(again) and "--name" in error_of(again)

    # list and get show it with its progress and runs.
    listed = cli.ok("backfill", "list")
    header, row = listed.strip().splitlines()
    assert header.split() == ["NAME", "DAG", "FROM", "TO", "STATE", "PROGRESS", "AGE"]
    assert row.split()[:5] == [name, "greet", DAYS[0], DAYS[-1], "completed"]
    assert "3/3 created, 3 succeeded, 0 failed" in row
    assert cli.ok("backfill", "list", "other-dag") == ""
    shown = cli.ok("backfill", "get", name)
    assert "Progress:" in shown and "3/3 created, 3 succeeded, 0 failed" in shown
    assert "Pending:" in shown and "none" in shown
    assert "Runs (3):" in shown
    for day in DAYS:
        assert f"greet-backfill-{day.replace('-', '')}t000000" in shown
    assert shown.count("success") == 3
    as_json = json.loads(cli.ok("backfill", "get", name, "-o", "json"))
    assert as_json["status"]["succeeded"] == 3

    # A second range whose dates all have runs: nothing to do, nothing created.
    nothing = cli.ok("backfill", "create", "greet", "--from", DAYS[0], "--to", DAYS[1])
    assert nothing.startswith("nothing to backfill: all 2 logical dates have runs to keep")
    assert len(get_json(kube, stack, "backfills")["items"]) == 1

    # delete: the Backfill goes, its runs stay (they belong to the DAG).
    deleted = cli.ok("backfill", "delete", name)
    assert deleted.startswith(f"backfill.kairflow.io/{name} deleted; its 3 runs stay")
    assert get_json(kube, stack, "backfills")["items"] == []
    assert backfill_runs(kube, stack, name) == dict.fromkeys(DAYS, "success")
    gone = cli.run("backfill", "get", name)
    assert gone.returncode == EXIT_NOT_FOUND
    assert error_of(gone) == f'error: backfill "{name}" not found in namespace {stack!r}'


def test_rerun_the_failed_date_of_a_backfill(kube: Kube, stack: str, tmp_path: Path) -> None:
    cli = Cli(kube, stack)
    marker = tmp_path / "failed-once"
    # 2024-01-02 fails the first time only.
    bash = (
        f'if [ "{{{{ ds }}}}" = 2024-01-02 ] && [ ! -e {marker} ]; '
        f"then touch {marker}; exit 1; fi; echo ok"
    )
    apply(kube, stack, daily_dag("flaky", bash))
    wait_for(lambda: get_json(kube, stack, "dag", "flaky").get("status"), what="DAG observed")

    # --wait: the backfill completes with one failed run, so the command exits 1.
    waited = cli.run(
        "backfill", "create", "flaky", "--from", DAYS[0], "--to", DAYS[-1], "--wait",
        "--timeout", "2m", timeout=180,
    )  # fmt: skip
    assert waited.returncode == EXIT_FAILED, waited.stderr
    assert "completed: 2 runs succeeded, 1 failed" in waited.stdout
    first = "flaky-20240101-20240103"
    assert backfill_runs(kube, stack, first) == {
        "2024-01-01": "success",
        "2024-01-02": "failed",
        "2024-01-03": "success",
    }
    listed = cli.ok("backfill", "list", "flaky")
    assert "3/3 created, 2 succeeded, 1 failed" in listed

    # reprocess failed: the failed date is cleared, the others are skipped with why.
    plan = plan_of(cli, "flaky", "--from", DAYS[0], "--to", DAYS[-1], "--reprocess", "failed")
    assert actions(plan) == [
        ("2024-01-01", "skip"),
        ("2024-01-02", "clear"),
        ("2024-01-03", "skip"),
    ]
    assert plan[0]["reason"] == "its run succeeded (reprocess failed reruns failed runs only)"

    # Doing it: the cleared run now succeeds (the marker exists); it joins the new backfill.
    out = cli.ok(
        "backfill", "create", "flaky", "--from", DAYS[0], "--to", DAYS[-1],
        "--reprocess", "failed", "--name", "flaky-retry", "--wait", "--timeout", "2m",
        timeout=180,
    )  # fmt: skip
    assert "backfill.kairflow.io/flaky-retry created (1 run)" in out
    assert "completed: 1 runs succeeded, 0 failed" in out
    assert backfill_runs(kube, stack, "flaky-retry") == {"2024-01-02": "success"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            ["no-such-dag", "--from", DAYS[0], "--to", DAYS[-1]],
            EXIT_NOT_FOUND,
            'error: dag "no-such-dag" not found in namespace',
            id="an unknown DAG exits 3",
        ),
        pytest.param(
            ["greet", "--from", DAYS[-1], "--to", DAYS[0]],
            EXIT_USAGE,
            "error: --from 2024-01-03T00:00:00 is after --to 2024-01-01T00:00:00",
            id="from after to exits 2",
        ),
        pytest.param(
            ["greet", "--from", "2024-01-01T01:00:00", "--to", "2024-01-01T23:00:00"],
            EXIT_USAGE,
            "error: no logical dates between 2024-01-01T01:00:00 and 2024-01-01T23:00:00",
            id="a range without a date of the schedule exits 2",
        ),
    ],
)
def test_backfill_create_errors(
    kube: Kube, stack: str, args: list[str], code: int, message: str
) -> None:
    cli = Cli(kube, stack)
    apply(kube, stack, daily_dag("greet", "true"))
    result = cli.run("backfill", "create", *args)
    assert result.returncode == code, result.stderr
    assert error_of(result).startswith(message)
    assert get_json(kube, stack, "backfills")["items"] == []
