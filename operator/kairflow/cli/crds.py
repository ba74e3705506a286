"""`kairflow crds`: print, write or check the generated CustomResourceDefinitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kairflow.api.crd import crd_files
from kairflow.cli.errors import EXIT_FAILED, UserError


def stale_files(directory: Path) -> list[str]:
    """Names of CRD files in `directory` that differ from the models (or are missing)."""
    stale = []
    for name, text in crd_files().items():
        path = directory / name
        if not path.is_file() or path.read_text() != text:
            stale.append(name)
    return stale


def crds(
    write: Annotated[
        Path | None, typer.Option("--write", help="Write the YAML files into this directory.")
    ] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Exit 1 when the files in this directory are stale."),
    ] = None,
) -> None:
    """Print the CRDs generated from the models (or --write / --check a directory)."""
    files = crd_files()
    if check is not None:
        stale = stale_files(check)
        if stale:
            raise UserError(
                f"stale CRDs in {check}: {', '.join(stale)}; run `make crds`", EXIT_FAILED
            )
        typer.echo(f"{check}: {len(files)} CRDs up to date")
        return
    if write is not None:
        write.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (write / name).write_text(text)
            typer.echo(f"wrote {write / name}")
        return
    typer.echo("---\n".join(files.values()), nl=False)
