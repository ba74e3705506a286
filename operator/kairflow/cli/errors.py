"""How the CLI reports user errors: one clear line on stderr, a non-zero exit code."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

EXIT_FAILED = 1
EXIT_USAGE = 2


class UserError(Exception):
    """An error the user can fix; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int = EXIT_USAGE) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(exit_code)
