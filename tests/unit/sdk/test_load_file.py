"""Loading Python DAG files: every DAG collected, byte-identical output, one clear
error naming the file and line of the user's code, and the CLI commands on .py files."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from kairflow.cli.errors import EXIT_USAGE
from kairflow.sdk import Location, SdkError, load, load_file
from kairflow.sdk import errors as errors_module
from kairflow.sdk.errors import add_library_dir
from tests.cli import error_line, kairflow

HEADER = "from datetime import datetime\nfrom kairflow.sdk import *\n"


def write(tmp_path: Path, body: str, name: str = "my_dag.py") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body).lstrip("\n"))
    return path


TWO_DAGS = """
def work(n):
    return n + 1

with DAG("first_dag", schedule=None) as first:
    a = EmptyOperator(task_id="a")
    b = PythonOperator(task_id="b", python_callable=work, op_args=[1])
    a >> b

@dag(schedule=None)
def second():
    EmptyOperator(task_id="c")

second()
"""


def test_every_dag_of_a_file_is_collected_in_order() -> None:
    path = write(Path(__import__("tempfile").mkdtemp()), TWO_DAGS)
    manifests = load_file(path)
    assert [m["metadata"]["name"] for m in manifests] == ["first-dag", "second"]


def test_the_same_file_renders_byte_identical_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_DAGS)
    first = kairflow("dags", "render", str(path))
    second = kairflow("dags", "render", str(path))
    assert first.exit_code == 0, first.stderr
    assert first.stdout == second.stdout
    assert "0x" not in first.stdout  # no memory addresses
    documents = list(yaml.safe_load_all(first.stdout))
    assert documents == load_file(path)


def test_the_file_runs_with_its_directory_on_sys_path_restored_after(tmp_path: Path) -> None:
    (tmp_path / "neighbour.py").write_text("TASK = 'from_neighbour'\n")
    path = write(
        tmp_path,
        """
        from neighbour import TASK
        with DAG("n", schedule=None):
            EmptyOperator(task_id=TASK)
        """,
    )
    before = list(sys.path)
    [manifest] = load_file(path)
    assert manifest["spec"]["tasks"] == [{"name": "from_neighbour"}]
    assert sys.path == before
    assert "kairflow_dag_my_dag" not in sys.modules


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        pytest.param(
            """
            with DAG("x", schedule=None):
                EmptyOperator(task_id="a")
                1 / 0
            """,
            5,
            "ZeroDivisionError: division by zero",
            id="an exception in the file names its line",
        ),
        pytest.param(
            """
            with DAG("x", schedule=None):
                EmptyOperator(task_id="a")
                EmptyOperator(task_id="a")
            """,
            5,
            "duplicate task_id 'a'",
            id="a duplicate task_id names the second task's line",
        ),
        pytest.param(
            """
            with DAG("x", schedule=None):
                a = EmptyOperator(task_id="a")
                b = EmptyOperator(task_id="b")
                a >> b
                b >> a
            """,
            7,
            "cycle: b -> a -> b",
            id="a cycle names the line that closes it",
        ),
        pytest.param(
            """
            import threading
            LOCK = threading.Lock()

            def work():
                return str(LOCK)

            with DAG("x", schedule=None):
                PythonOperator(task_id="a", python_callable=work)
            """,
            6,
            "work uses 'LOCK' (lock), which cannot be shipped",
            id="a callable that cannot be shipped names the callable's line",
        ),
        pytest.param(
            """
            with DAG("x", schedule=None, default_args={"retrys": 1}):
                pass
            """,
            3,
            "default_args: unknown argument 'retrys'",
            id="an unknown default_args key names the DAG's line",
        ),
        pytest.param(
            """
            with DAG("x", schedule=None):
                EmptyOperator(task_id="a"
            """,
            4,
            "SyntaxError",
            id="a syntax error names its line",
        ),
        pytest.param(
            """
            with DAG("x", schedule="@daily"):
                EmptyOperator(task_id="a")
            """,
            3,
            "startDate: required with a schedule",
            id="a manifest the core refuses names the DAG's line",
        ),
        pytest.param("x = 1\n", 0, "no DAG defined in this file", id="a file without a DAG"),
    ],
)
def test_errors_name_the_file_and_the_users_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(SdkError) as error:
        load(path)
    assert error.value.where.file == str(path)
    assert error.value.where.line == line
    assert message in str(error.value)
    result = kairflow("dags", "render", str(path))
    assert result.exit_code == EXIT_USAGE
    assert error_line(result) == f"error: {path}:{line}: " + error.value.detail.replace("\n", " ")


def test_frames_of_a_library_dir_are_never_the_users_line(tmp_path: Path) -> None:
    """A layer built on the SDK (the Airflow shims) registers its directory: errors
    raised through it name the DAG file's line, not the layer's."""
    library = tmp_path / "layer"
    library.mkdir()
    (library / "made_by_layer.py").write_text(
        "from kairflow.sdk import EmptyOperator\n"
        "def make(task_id):\n"
        "    return EmptyOperator(task_id=task_id)\n"
    )
    path = write(
        tmp_path,
        """
        import sys
        sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/layer")
        from made_by_layer import make
        with DAG("d", schedule=None):
            make("a")
            make("a")
        """,
    )
    with pytest.raises(SdkError) as inside:
        load(path)
    assert inside.value.where.file.endswith("made_by_layer.py")
    add_library_dir(library)
    try:
        with pytest.raises(SdkError) as outside:
            load(path)
    finally:
        errors_module._library_dirs.remove(str(library.resolve()))
    assert outside.value.where == Location(str(path), 8)
    sys.modules.pop("made_by_layer", None)


def test_render_prints_json_and_normalized_yaml_manifests_with_warnings_on_stderr(
    tmp_path: Path, repo_root: Path
) -> None:
    path = write(
        tmp_path,
        """
        with DAG("w", schedule=None, default_args={"email": "me@x"}):
            EmptyOperator(task_id="a")
        """,
    )
    result = kairflow(
        "dags", "render", str(path), str(repo_root / "dags" / "hello_world.yaml"), "-o", "json"
    )
    assert result.exit_code == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["kind"] == "List"
    assert [item["metadata"]["name"] for item in listing["items"]] == ["w", "hello-world"]
    assert result.stderr == f"warning: {path}:3: default_args: email is not supported, ignored\n"


def test_dags_test_and_next_execution_read_python_files(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        def answer():
            return 42

        with DAG("py", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
            PythonOperator(task_id="a", python_callable=answer) >> BashOperator(
                task_id="b", bash_command="test {{ ti.xcom_pull('a') }} = 42"
            )
        """,
    )
    ran = kairflow("dags", "test", str(path), "-o", "json")
    assert ran.exit_code == 0, ran.stderr
    assert json.loads(ran.stdout)["state"] == "success"
    nxt = kairflow("dags", "next-execution", str(path), "--now", "2024-03-01T12:00:00Z")
    assert nxt.exit_code == 0, nxt.stderr
    assert "2024-03-01" in nxt.stdout
