"""The operator limits glibc's malloc arenas (controller/malloc.py) unless the
environment already chose: each case runs in a fresh interpreter, since an arena limit
cannot be undone in this one."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

CALL = "from kairflow.controller.malloc import limit_arenas; print(limit_arenas())"


def limited(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", CALL],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, "True", id="by default the operator sets two arenas"),
        pytest.param(
            {"MALLOC_ARENA_MAX": "4"}, "False", id="an operator given MALLOC_ARENA_MAX keeps it"
        ),
    ],
)
def test_the_operator_limits_malloc_arenas_unless_told(env: dict[str, str], expected: str) -> None:
    assert limited(env) == expected
