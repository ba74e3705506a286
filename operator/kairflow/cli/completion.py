"""Shell completion for `kubectl kairflow ...`.

kubectl (1.26+) completes a plugin's arguments by running `kubectl_complete-<plugin>
ARGS...` from PATH, the last argument being the word being typed, and reads cobra's
protocol back: one completion per line, then `:<directive>`. This bridges that to the
same completions `kairflow --install-completion` gives (click's), names from the
cluster included.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

# typer vendors click; its completion engine is not the `click` package's.
from typer._click.shell_completion import CompletionItem, ShellComplete

from kairflow.cli.main import app

_NO_FILE_COMPLETION = 4
"""cobra's ShellCompDirectiveNoFileComp: offer nothing else when nothing matches."""


class _Collect(ShellComplete):
    """click's completion machinery without a shell: just the candidates."""

    name = "kubectl"
    source_template = ""

    def source_vars(self) -> dict[str, Any]:
        raise NotImplementedError  # no shell script to write: kubectl runs us directly

    def get_completion_args(self) -> tuple[list[str], str]:
        raise NotImplementedError  # never read from the environment: see `candidates`

    def format_completion(self, item: CompletionItem) -> str:
        return str(item.value)


def candidates(words: list[str]) -> list[str]:
    """Completions of the last of `words` (what is typed so far after `kairflow`)."""
    command: Any = typer.main.get_command(app)
    args, incomplete = (words[:-1], words[-1]) if words else ([], "")
    collect = _Collect(command, {}, "kairflow", "_KAIRFLOW_COMPLETE")
    return [str(item.value) for item in collect.get_completions(args, incomplete)]


def kubectl_complete() -> None:
    """The `kubectl_complete-kairflow` console script."""
    for value in candidates(sys.argv[1:]):
        sys.stdout.write(f"{value}\n")
    sys.stdout.write(f":{_NO_FILE_COMPLETION}\n")
