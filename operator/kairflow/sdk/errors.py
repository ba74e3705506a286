"""Errors and warnings of DAG files, each naming the file and line of the user's code.

The SDK's own frames are never the place to blame: the location is the innermost
frame outside this package (the `>>`, the operator call, the `with DAG(...)` line).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType

_SDK_DIR = str(Path(__file__).resolve().parent)
_library_dirs: list[str] = [_SDK_DIR]


def add_library_dir(directory: str | Path) -> None:
    """Frames under `directory` are library code too, never the user's line (a layer
    built on the SDK, like the Airflow import shims)."""
    path = str(Path(directory).resolve())
    if path not in _library_dirs:
        _library_dirs.append(path)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


UNKNOWN = Location("<unknown>", 0)


def _is_sdk(filename: str) -> bool:
    return filename.startswith("<frozen ") or any(filename.startswith(d) for d in _library_dirs)


def user_location(frame: FrameType | None = None) -> Location:
    """The innermost caller outside the SDK (the user's line)."""
    current: FrameType | None = frame if frame is not None else sys._getframe(1)
    while current is not None:
        if not _is_sdk(current.f_code.co_filename):
            return Location(current.f_code.co_filename, current.f_lineno)
        current = current.f_back
    return UNKNOWN


def traceback_location(tb: TracebackType | None, prefer_file: str) -> Location:
    """Where an exception was raised in the user's code: the innermost frame in
    `prefer_file`, else the innermost frame outside the SDK."""
    preferred = fallback = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == prefer_file:
            preferred = Location(filename, tb.tb_lineno)
        if not _is_sdk(filename):
            fallback = Location(filename, tb.tb_lineno)
        tb = tb.tb_next
    return preferred or fallback or UNKNOWN


class SdkError(Exception):
    """A mistake in a DAG file, e.g. "dags/etl.py:12: duplicate task_id 'load'"."""

    def __init__(self, message: str, where: Location | None = None) -> None:
        self.where = where if where is not None else user_location()
        self.detail = message
        super().__init__(f"{self.where}: {message}")


@dataclass(frozen=True, order=True)
class SdkWarning:
    """Something in the file that the manifest leaves out (an Airflow argument Kairflow
    has no equivalent for); the DAG still renders."""

    where: Location
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
