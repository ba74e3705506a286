"""Child processes that never outlive their owner.

Each server is started in its own process group with PR_SET_PDEATHSIG, so it gets
SIGKILL when the process that started it dies, even by SIGKILL: an interrupted test
run leaves no etcd or apiserver behind. `detach=True` (for `kairflow dev up`)
skips the death signal so the stack outlives the command that started it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    # SIGKILL: the owner is gone, nobody waits for a graceful stop, data is temporary.
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _own_group() -> None:
    os.setpgid(0, 0)


def _preexec(detach: bool) -> Callable[[], None]:
    def run() -> None:
        _own_group()
        if not detach:
            _die_with_parent()

    return run


def spawn(
    argv: Sequence[str | Path], log: Path, detach: bool = False, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` with stdout and stderr to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_preexec(detach),  # noqa: PLW1509 - needed for setpgid/prctl
            env=env,
        )


def stop_group(pid: int, grace: float = 10.0) -> None:
    """SIGTERM the process group of `pid`, SIGKILL it after `grace` seconds."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        # Not our child (a detached stack stopped by a later command): probe it.
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return done == 0


def pid_alive(pid: int) -> bool:
    """Whether a process (ours or not) is alive; a zombie counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def crash_summary(path: Path, lines: int = 15) -> str:
    """Why a process died, from its log: a Go program's fatal lines (klog `F`, `panic:`,
    `fatal error:`) come before the goroutine dump that fills its last lines."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    fatal = [
        line
        for line in text
        if line.startswith(("panic:", "fatal error:")) or (line[:1] == "F" and line[1:5].isdigit())
    ]
    last = [line for line in text if not line.startswith(("goroutine ", "\t", "k8s.io/"))]
    return "\n".join([*fatal[:5], *last[-lines:]])
