"""The operator limits glibc's malloc arenas (controller/malloc.py) unless the
environment already chose: each case runs in a fresh interpreter, since an arena limit
cannot be undone in this one."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import time

import pytest

from kairflow.controller import malloc

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


def test_memory_is_given_back_after_syncs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[float] = []
    monkeypatch.setattr(malloc, "trim", lambda: trims.append(time.monotonic()) or True)
    synced = [0]

    async def until_trims(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(trims) < count:
            assert time.monotonic() < deadline, f"{len(trims)} trims, not {count}"
            await asyncio.sleep(0.001)

    async def scenario() -> list[int]:
        task = asyncio.create_task(malloc.trim_while_busy(lambda: synced[0], every=0))
        seen = []
        await until_trims(1)  # the first look: whatever came before it
        for _ in range(50):
            await asyncio.sleep(0)
        seen.append(len(trims))  # nothing synced since: no second trim
        synced[0] += 3
        await until_trims(2)
        seen.append(len(trims))
        task.cancel()
        return seen

    assert asyncio.run(scenario()) == [1, 2]
