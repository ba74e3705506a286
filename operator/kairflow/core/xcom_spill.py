"""Getting an XCom over 4 KiB out of a pod without giving the pod any API access.

Bash and python tasks run under a small wrapper (bash tasks: `core.bash_xcom`;
python tasks: `PYTHON_WRAPPER` here). When the task succeeds and
$KAIRFLOW_XCOM_FILE holds more than 4 KiB, the wrapper prints the value framed at
the end of the container's log (`core.xcom_frame`: a header line, then base64 of
its gzip) and replaces the file with a pointer (size, SHA-256, line count), which
fits the termination message. The operator reads those last lines of the log and
keeps the value in a ConfigMap. A value of 4 KiB or less takes no extra step: the
common path costs one `stat` more.

A value over the 1 MiB limit is not printed: the pointer carries only its size and
the task fails with "XCom is 2.3 MiB; the limit is 1.0 MiB". `command` tasks run the
image's own process, unwrapped: their XCom stays within 4 KiB.
"""

from __future__ import annotations

from kairflow.core.xcom import MAX_STORED_XCOM_BYTES, MAX_XCOM_BYTES, POINTER_KEY
from kairflow.core.xcom_frame import HEADER, LINE_WIDTH

BASH_SPILL = f"""\
kf_spill() {{
  local f=$KAIRFLOW_XCOM_FILE size sum packed lines
  [[ -n $f && -s $f ]] || return 0
  size=$(wc -c < "$f") size=${{size//[!0-9]/}}
  (( size > {MAX_XCOM_BYTES} )) || return 0
  if (( size > {MAX_STORED_XCOM_BYTES} )); then
    printf '{{"{POINTER_KEY}": {{"size": %d}}}}' "$size" > "$f"
    return 0
  fi
  if ! command -v sha256sum gzip base64 > /dev/null; then
    printf '{{"{POINTER_KEY}": {{"size": %d, "error": "%s"}}}}' "$size" \
"the task's image has no sha256sum, gzip or base64 to push it with" > "$f"
    return 0
  fi
  sum=$(sha256sum < "$f") sum=${{sum%% *}}
  packed=$(gzip -c -n < "$f" | base64 -w {LINE_WIDTH})
  lines=$(printf '%s\\n' "$packed" | wc -l) lines=${{lines//[!0-9]/}}
  printf '\\n{HEADER}%d bytes of JSON, sha256 %s, gzip+base64 on the next %d lines\\n%s\\n' \
"$size" "$sum" "$lines" "$packed"
  printf '{{"{POINTER_KEY}": {{"size": %d, "sha256": "%s", "lines": %d}}}}' \
"$size" "$sum" "$((lines + 1))" > "$f"
}}
"""

# Runs the task's script (argv[1]) as `python -c` would (in __main__, named
# '<string>', sys.argv[1:] its args), then spills; compiled apart, so a traceback
# shows the script's own line numbers. Only `_kf_` names are added to __main__.
PYTHON_WRAPPER = (
    "import sys as _kf_s;_kf_c=compile(_kf_s.argv.pop(1),'<string>','exec')\n"
    "def _kf_spill():\n"
    "    import os\n"
    "    p=os.environ.get('KAIRFLOW_XCOM_FILE')\n"
    "    try:\n"
    "        n=os.stat(p).st_size if p else 0\n"
    "    except OSError:\n"
    "        return\n"
    f"    if n<={MAX_XCOM_BYTES}:\n"
    "        return\n"
    "    import base64,gzip,hashlib,json\n"
    "    d=open(p,'rb').read()\n"
    "    r={'size':len(d)}\n"
    f"    if len(d)<={MAX_STORED_XCOM_BYTES}:\n"
    "        h=hashlib.sha256(d).hexdigest()\n"
    "        b=base64.b64encode(gzip.compress(d,mtime=0)).decode()\n"
    f"        b=[b[i:i+{LINE_WIDTH}] for i in range(0,len(b),{LINE_WIDTH})]\n"
    "        _kf_s.stdout.flush();_kf_s.stderr.flush()\n"
    f"        t='\\n{HEADER}%d bytes of JSON, sha256 %s, gzip+base64 on the next %d lines\\n'\n"
    "        _kf_s.stdout.write(t%(len(d),h,len(b))+'\\n'.join(b)+'\\n');_kf_s.stdout.flush()\n"
    "        r.update(sha256=h,lines=len(b)+1)\n"
    f"    open(p,'w').write(json.dumps({{'{POINTER_KEY}':r}}))\n"
    "try:\n"
    "    exec(_kf_c)\n"
    "except SystemExit as _kf_e:\n"
    "    if _kf_e.code not in (None,0):\n"
    "        raise\n"
    "    _kf_spill();raise\n"
    "_kf_spill()\n"
)


def python_command(script: str) -> list[str]:
    """The container command of a python task; its rendered args follow as sys.argv[1:]."""
    return ["python", "-c", PYTHON_WRAPPER, script]
