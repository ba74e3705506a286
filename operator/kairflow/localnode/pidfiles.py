"""Records of the process groups the agent started, so no process outlives it.

Each container's process group is recorded in its pod directory as
"<pgid> <start time in clock ticks since boot>". An agent that was killed (kill -9)
cannot stop its pods, so the next one reads the records it finds and kills those
groups — unless the recorded pid now belongs to a younger process (the pid was
reused, which Linux only does once the old group is gone).
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def start_ticks(pid: int) -> int | None:
    """The process's start time (field 22 of /proc/<pid>/stat), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def record(path: Path, pgid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pgid} {start_ticks(pgid) or 0}\n")


def kill_recorded(path: Path) -> bool:
    """SIGKILL the group recorded in `path` if it still exists; True if it did."""
    try:
        pgid_text, ticks_text = path.read_text().split()
        pgid, ticks = int(pgid_text), int(ticks_text)
    except (OSError, ValueError):
        return False
    now = start_ticks(pgid)
    if now is not None and ticks and now != ticks:
        return False  # the pid was reused: our group is gone
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def kill_all_recorded(directory: Path) -> int:
    """Kill every group recorded under `directory`; how many were still there."""
    killed = 0
    if directory.is_dir():
        for path in sorted(directory.rglob("*.pid")):
            killed += kill_recorded(path)
            with contextlib.suppress(OSError):
                path.unlink()
    return killed
