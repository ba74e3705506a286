"""A bash task's default XCom: the last line of its stdout, as Airflow's BashOperator
pushes it (`do_xcom_push`, on by default; `doXcomPush: false` turns it off).

The task's container runs a small bash wrapper (`bash -c WRAPPER SCRIPT ARGS...`):
it runs the script as `bash -c SCRIPT ARGS...` (so `$0`, `$1`... are what they were),
its stdout passing through `tee` to the container's stdout unchanged and to
`tail -n 1`, which keeps only the last line. When the script exits 0 and has not
written $KAIRFLOW_XCOM_FILE itself, the wrapper writes that line (trailing
whitespace stripped, as Airflow does) there as a JSON string. The exit code is the
script's. An XCom over 4 KiB (the line, or what the script wrote itself) leaves the
pod through the log (`core.xcom_spill`); a last line over the 1 MiB limit is not
pushed: the wrapper says so on stderr and the task still succeeds. As with
Airflow's, the task ends when its stdout closes: a background process that keeps it
open keeps the task running.
"""

from __future__ import annotations

from kairflow.core.xcom import MAX_STORED_XCOM_BYTES, MAX_XCOM_BYTES
from kairflow.core.xcom_spill import BASH_SPILL, PYTHON_WRAPPER

WRAPPER = f"""\
exec 3>&1
out=$(bash -c "$0" "$@" 3>&- | tee -a /dev/fd/3 | tail -n 1 3>&-
printf '\\n%s' "${{PIPESTATUS[0]}}")
rc=${{out##*$'\\n'}}
[[ $rc == 0 && -n ${{KAIRFLOW_XCOM_FILE:-}} ]] || exit "$rc"
{BASH_SPILL}\
[[ -s $KAIRFLOW_XCOM_FILE ]] && {{ kf_spill; exit 0; }}
LC_ALL=C
line=${{out%$'\\n'*}}
line=${{line%"${{line##*[![:space:]]}}"}}
line=${{line//\\\\/\\\\\\\\}}
line=${{line//\\"/\\\\\\"}}
line=${{line//$'\\t'/\\\\t}}
line=${{line//$'\\r'/\\\\r}}
if [[ $line == *[$'\\001'-$'\\037']* ]]; then
  plain=$line line=
  for ((i = 0; i < ${{#plain}}; i++)); do
    c=${{plain:i:1}}
    [[ $c == [$'\\001'-$'\\037'] ]] && printf -v c '\\\\u%04x' "'$c"
    line+=$c
  done
fi
if (( ${{#line}} + 2 > {MAX_STORED_XCOM_BYTES} )); then
  echo "kairflow: the last line of stdout is $(( ${{#line}} + 2 )) bytes as JSON, over the \
{MAX_STORED_XCOM_BYTES}-byte XCom limit: not pushed (print less, or set doXcomPush: false)" >&2
else
  printf '"%s"' "$line" > "$KAIRFLOW_XCOM_FILE"
  (( ${{#line}} + 2 > {MAX_XCOM_BYTES} )) && kf_spill
fi
exit 0
"""


def bash_command(script: str, push_last_line: bool) -> list[str]:
    """The container command of a bash task; its rendered args follow as `$0`, `$1`..."""
    if not push_last_line:
        return ["bash", "-c", script]
    return ["bash", "-c", WRAPPER, script]


def as_written(command: list[str]) -> list[str]:
    """A pod's command as the task wrote it: `bash -c SCRIPT ARGS...` or `python -c
    SCRIPT ARGS...`, the wrapper left out (what views show as the rendered command)."""
    if command[:3] == ["bash", "-c", WRAPPER]:
        return ["bash", "-c", *command[3:]]
    if command[:3] == ["python", "-c", PYTHON_WRAPPER]:
        return ["python", "-c", *command[3:]]
    return command
