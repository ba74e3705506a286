"""`kairflow dags next-execution`: the runs a DAG creates next, for people and scripts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import Result

from kairflow.cli.errors import EXIT_USAGE
from tests.cli import error_line, kairflow

KEYS = ["logical_date", "data_interval_start", "data_interval_end", "run_after"]
EXAMPLE_DAGS = sorted((Path(__file__).resolve().parents[3] / "dags").glob("*.yaml"))


def invoke(*args: str) -> Result:
    return kairflow("dags", "next-execution", *args)


def write_dag(tmp_path: Path, spec: str, name: str = "dag.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        "apiVersion: kairflow.io/v1alpha1\nkind: DAG\nmetadata:\n  name: demo\nspec:\n"
        + "".join(f"  {line}\n" for line in spec.strip().splitlines())
        + "  tasks:\n  - name: t\n    bash: echo hi\n"
    )
    return path


def run(moment: str, start: str, end: str, after: str | None = None) -> dict[str, str]:
    return {
        "logical_date": moment,
        "data_interval_start": start,
        "data_interval_end": end,
        "run_after": after or end,
    }


EXAMPLES = [
    pytest.param(
        "sample_dag.yaml",
        "2024-03-10T12:00:00Z",
        2,
        [
            run(
                "2024-03-08T15:00:00+00:00",
                "2024-03-08T15:00:00+00:00",
                "2024-03-09T15:00:00+00:00",
            ),
            run(
                "2024-03-09T15:00:00+00:00",
                "2024-03-09T15:00:00+00:00",
                "2024-03-10T15:00:00+00:00",
            ),
        ],
        id="sample-dag (midnight in Seoul, no catchup): yesterday's interval, then today's",
    ),
    pytest.param(
        "hello_world.yaml",
        "2024-03-10T12:00:00Z",
        2,
        [
            run(
                "2024-03-09T06:00:00+00:00",
                "2024-03-09T06:00:00+00:00",
                "2024-03-10T06:00:00+00:00",
            ),
            run(
                "2024-03-10T06:00:00+00:00",
                "2024-03-10T06:00:00+00:00",
                "2024-03-11T06:00:00+00:00",
            ),
        ],
        id="hello-world (06:00 UTC, no catchup): the interval that ended at 06:00 today first",
    ),
    pytest.param(
        "tutorial.yaml",
        "2024-03-10T12:34:56Z",
        2,
        [
            run(
                "2024-03-09T00:00:00+00:00",
                "2024-03-09T00:00:00+00:00",
                "2024-03-10T00:00:00+00:00",
            ),
            run(
                "2024-03-10T00:00:00+00:00",
                "2024-03-10T00:00:00+00:00",
                "2024-03-11T00:00:00+00:00",
            ),
        ],
        id="tutorial (every 1d, no catchup): the latest whole day on the 1d grid, then today",
    ),
]


@pytest.mark.parametrize(("name", "now", "count", "expected"), EXAMPLES)
def test_json_for_the_example_dags(
    repo_root: Path, name: str, now: str, count: int, expected: list[dict[str, str]]
) -> None:
    result = invoke(str(repo_root / "dags" / name), "-n", str(count), "--now", now, "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected


def test_catchup_lists_the_due_runs_oldest_first_then_future_ones(tmp_path: Path) -> None:
    path = write_dag(tmp_path, 'schedule: "@daily"\nstartDate: "2026-01-01"\ncatchup: true')
    result = invoke(str(path), "-n", "4", "--now", "2026-01-03T12:00:00Z", "-o", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [list(item) for item in runs] == [KEYS] * 4
    assert [item["logical_date"] for item in runs] == [
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
        "2026-01-03T00:00:00+00:00",
        "2026-01-04T00:00:00+00:00",
    ]


def test_a_naive_now_is_in_the_dag_time_zone(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        'schedule: "0 0 * * *"\ntimezone: Asia/Seoul\nstartDate: "2026-01-01"\ncatchup: false',
    )
    result = invoke(str(path), "--now", "2026-01-05T00:00:00", "-o", "json")
    # 00:00 in Seoul is exactly a tick: the interval ending now is due.
    assert json.loads(result.stdout) == [
        run("2026-01-03T15:00:00+00:00", "2026-01-03T15:00:00+00:00", "2026-01-04T15:00:00+00:00")
    ]


def test_a_trigger_timetable_shows_ticks(tmp_path: Path) -> None:
    path = write_dag(
        tmp_path,
        'schedule: "@hourly"\ntimetable: trigger\ntriggerInterval: 1h\n'
        'startDate: "2026-01-01"\ncatchup: false',
    )
    result = invoke(str(path), "-n", "2", "--now", "2026-01-05T10:30:00Z", "-o", "json")
    # Without catchup the 10:00 tick it missed runs at once (Airflow 2.10), then 11:00.
    assert json.loads(result.stdout) == [
        run("2026-01-05T10:00:00+00:00", "2026-01-05T09:00:00+00:00", "2026-01-05T10:00:00+00:00"),
        run("2026-01-05T11:00:00+00:00", "2026-01-05T10:00:00+00:00", "2026-01-05T11:00:00+00:00"),
    ]


def test_every_30_minutes_without_catchup_starts_on_the_grid(tmp_path: Path) -> None:
    path = write_dag(tmp_path, 'schedule: 30m\nstartDate: "2026-01-01T00:10:00"\ncatchup: false')
    result = invoke(str(path), "-n", "2", "--now", "2026-01-01T05:17:23Z", "-o", "json")
    assert json.loads(result.stdout) == [
        run("2026-01-01T04:30:00+00:00", "2026-01-01T04:30:00+00:00", "2026-01-01T05:00:00+00:00"),
        run("2026-01-01T05:00:00+00:00", "2026-01-01T05:00:00+00:00", "2026-01-01T05:30:00+00:00"),
    ]


def test_a_manual_only_dag_has_no_runs(tmp_path: Path) -> None:
    path = write_dag(tmp_path, "description: manual")
    as_json = invoke(str(path), "-n", "3", "-o", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == []
    as_table = invoke(str(path))
    assert as_table.exit_code == 0
    assert "demo: never: manual runs only" in as_table.stdout
    assert "no automated runs" in as_table.stdout


def test_the_table_shows_times_in_the_dag_time_zone(repo_root: Path) -> None:
    result = invoke(
        str(repo_root / "dags" / "sample_dag.yaml"), "-n", "2", "--now", "2024-03-10T12:00:00Z"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "sample-dag: at 00:00 every day, Asia/Seoul" in out
    assert "2024-03-09 00:00:00+09:00" in out and "2024-03-11 00:00:00+09:00" in out
    assert "due now" in out
    assert "times in Asia/Seoul; now is 2024-03-10 21:00:00+09:00" in out


def test_a_paused_dag_says_so_on_stderr(tmp_path: Path) -> None:
    path = write_dag(tmp_path, 'schedule: "@daily"\nstartDate: "2026-01-01"\npaused: true')
    result = invoke(str(path), "--now", "2026-01-03T00:00:00Z", "-o", "json")
    assert result.exit_code == 0
    assert "paused" in result.stderr
    assert len(json.loads(result.stdout)) == 1


def test_without_now_it_uses_the_current_time(repo_root: Path) -> None:
    result = invoke(str(repo_root / "dags" / "hello_world.yaml"), "-n", "2", "-o", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert len(runs) == 2 and all(list(item) == KEYS for item in runs)


ERRORS = [
    pytest.param(["missing.yaml"], "cannot read missing.yaml", id="a file that is not there"),
    pytest.param(["{dir}/broken.yaml"], "not valid YAML", id="a file that is not YAML"),
    pytest.param(
        ["{dir}/badcron.yaml"],
        "invalid schedule: schedule: invalid cron '61 * * * *': minute field: 61 is out "
        "of range 0-59",
        id="a bad cron",
    ),
    pytest.param(
        ["{dir}/fourfields.yaml"], "a cron expression has 5 fields", id="a cron of four fields"
    ),
    pytest.param(
        ["{dir}/badzone.yaml"], "timezone: unknown time zone 'Mars/Base'", id="an unknown time zone"
    ),
    pytest.param(
        ["{dir}/good.yaml", "--now", "yesterday"],
        "--now: invalid date-time 'yesterday'",
        id="a --now that is not a date",
    ),
    pytest.param(["{dir}/good.yaml", "-n", "0"], "-n: must be at least 1, got 0", id="-n 0"),
    pytest.param(
        ["{dir}/good.yaml", "-n", "many"],
        "-n: 'many' is not a whole number",
        id="-n that is not a number",
    ),
    pytest.param(
        ["{dir}/good.yaml", "-o", "xml"],
        "-o: unknown format 'xml'; use table or json",
        id="an unknown output format",
    ),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_invalid_input_is_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    write_dag(tmp_path, 'schedule: "@daily"\nstartDate: "2026-01-01"', "good.yaml")
    write_dag(tmp_path, 'schedule: "61 * * * *"\nstartDate: "2026-01-01"', "badcron.yaml")
    write_dag(tmp_path, 'schedule: "0 0 * *"\nstartDate: "2026-01-01"', "fourfields.yaml")
    write_dag(
        tmp_path, 'schedule: "@daily"\ntimezone: Mars/Base\nstartDate: "2026-01-01"', "badzone.yaml"
    )
    (tmp_path / "broken.yaml").write_text("kind: DAG\nspec: [unclosed\n")
    result = invoke(*[arg.format(dir=tmp_path) for arg in args])
    assert result.exit_code == EXIT_USAGE
    assert message in error_line(result)


@pytest.mark.parametrize("path", EXAMPLE_DAGS, ids=[path.name for path in EXAMPLE_DAGS])
def test_every_example_dag_prints_runs_in_utc(path: Path) -> None:
    result = invoke(str(path), "-n", "3", "--now", "2024-03-10T12:00:00Z", "-o", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert all(list(item) == KEYS for item in runs)
    assert all(item[key].endswith("+00:00") for item in runs for key in KEYS)


def test_the_installed_console_script_runs(repo_root: Path) -> None:
    """The one subprocess test: the `kairflow` entry point itself, as installed."""
    binary = repo_root / ".venv" / "bin" / "kairflow"
    if not binary.exists():
        pytest.skip("the kairflow console script is not installed in .venv")
    dag = repo_root / "dags" / "sample_dag.yaml"
    args = ["dags", "next-execution", str(dag), "-n", "2", "--now", "2024-03-10T12:00:00Z"]
    done = subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Asia/Seoul" in done.stdout and "2024-03-10 00:00:00+09:00" in done.stdout
