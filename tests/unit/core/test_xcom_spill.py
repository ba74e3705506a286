"""The task wrappers push an XCom over 4 KiB through the log: run by a real bash and
a real Python, as a task's container runs them, and read back as the operator does."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kairflow.core.bash_xcom import as_written, bash_command
from kairflow.core.xcom import Spilled, XComError, parse_xcom
from kairflow.core.xcom_frame import HEADER, load_json, unframe
from kairflow.core.xcom_spill import python_command

ITEMS = [{"id": i, "name": f"item-{i:05d}"} for i in range(3000)]
WRITE_ITEMS = (
    "import json, os\n"
    "print('working')\n"
    "items = [{'id': i, 'name': 'item-%05d' % i} for i in range(3000)]\n"
    "open(os.environ['KAIRFLOW_XCOM_FILE'], 'w').write(json.dumps(items))\n"
)
SHELL_WRITES_ITEMS = f"{sys.executable} -c {shlex.quote(WRITE_ITEMS)}"


def run(command: list[str], tmp_path: Path) -> tuple[int, str, str, str | None]:
    xcom_file = tmp_path / "termination-log"
    xcom_file.unlink(missing_ok=True)
    if command[0] == "python":
        command = [sys.executable, *command[1:]]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "KAIRFLOW_XCOM_FILE": str(xcom_file)},
        timeout=60,
        check=False,
    )
    message = xcom_file.read_text() if xcom_file.exists() else None
    return done.returncode, done.stdout, done.stderr, message


def read_back(stdout: str, message: str | None) -> Any:
    """The XCom as the operator gets it: the message, or the frame its pointer names."""
    value = parse_xcom(message)
    if isinstance(value, Spilled):
        return load_json(unframe(stdout, value)[1])
    return value


@pytest.mark.parametrize(
    ("command", "xcom"),
    [
        pytest.param(python_command(WRITE_ITEMS), ITEMS, id="a python task writes 3,000 items"),
        pytest.param(
            bash_command(SHELL_WRITES_ITEMS, push_last_line=True),
            ITEMS,
            id="a bash task's script writes 3,000 items",
        ),
        pytest.param(
            bash_command("seq 1 3000 | tr '\\n' ' '; echo", push_last_line=True),
            " ".join(str(i) for i in range(1, 3001)),
            id="a bash task's 14 KiB last line",
        ),
        pytest.param(
            python_command("import json, os; open(os.environ['KAIRFLOW_XCOM_FILE'], 'w')"
                           ".write(json.dumps('x' * 4094))"),
            "x" * 4094,
            id="a value of exactly 4 KiB stays in the termination message",
        ),
    ],
)  # fmt: skip
def test_an_xcom_of_any_size_up_to_the_limit_reaches_the_operator(
    tmp_path: Path, command: list[str], xcom: Any
) -> None:
    code, stdout, _, message = run(command, tmp_path)
    assert code == 0
    assert message is not None and len(message.encode()) <= 4096
    assert read_back(stdout, message) == xcom


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(python_command("print('hi'); raise SystemExit(0)"), id="python"),
        pytest.param(bash_command("echo hi", push_last_line=True), id="bash"),
    ],
)
def test_a_small_xcom_adds_nothing_to_the_log(tmp_path: Path, command: list[str]) -> None:
    code, stdout, _, _ = run(command, tmp_path)
    assert (code, stdout) == (0, "hi\n")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            python_command("import os; open(os.environ['KAIRFLOW_XCOM_FILE'], 'w')"
                           ".write('\"' + 'x' * (2 * 1024 * 1024) + '\"')"),
            id="python",
        ),
        pytest.param(
            bash_command("head -c 2097152 /dev/zero | tr '\\\\0' x | sed 's/.*/\"&\"/' "
                         "> $KAIRFLOW_XCOM_FILE", push_last_line=True),
            id="bash",
        ),
    ],
)  # fmt: skip
def test_an_xcom_over_1_mib_fails_naming_its_size(tmp_path: Path, command: list[str]) -> None:
    code, stdout, _, message = run(command, tmp_path)
    assert code == 0 and HEADER not in stdout  # not printed: it would be refused anyway
    with pytest.raises(XComError, match=r"XCom is 2 MiB; the limit is 1 MiB"):
        parse_xcom(message)


def test_a_failed_python_task_spills_nothing(tmp_path: Path) -> None:
    script = WRITE_ITEMS + "raise SystemExit(3)\n"
    code, stdout, _, message = run(python_command(script), tmp_path)
    assert code == 3 and HEADER not in stdout
    assert message is not None and json.loads(message) == ITEMS  # left as the task wrote it


def test_the_python_wrapper_keeps_what_python_c_gives_the_script(tmp_path: Path) -> None:
    script = "import sys\nprint(__name__, sys.argv)\nraise ValueError('boom')\n"
    code, stdout, stderr, _ = run([*python_command(script), "a", "b"], tmp_path)
    assert code == 1
    assert stdout == "__main__ ['-c', 'a', 'b']\n"
    assert 'File "<string>", line 3, in <module>' in stderr and "ValueError: boom" in stderr


def test_views_show_a_python_task_as_written() -> None:
    assert as_written(python_command("print(1)")) == ["python", "-c", "print(1)"]


def test_a_bash_image_without_the_tools_says_so(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "tee", "tail", "wc"):  # no sha256sum, gzip, base64
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    xcom_file = tmp_path / "termination-log"
    done = subprocess.run(
        bash_command("printf '\"%5000s\"' x > $KAIRFLOW_XCOM_FILE", push_last_line=True),
        env={"PATH": str(bin_dir), "KAIRFLOW_XCOM_FILE": str(xcom_file)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    with pytest.raises(XComError, match=r"XCom is 4.9 KiB; the task's image has no sha256sum"):
        parse_xcom(xcom_file.read_text())
