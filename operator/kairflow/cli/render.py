"""`kairflow dags render FILE...`: DAG manifests from Python DAG files (and YAML ones,
validated and normalized), as one YAML stream or JSON, for `kubectl apply --server-side
-f -` (server-side: a big DAG's manifest passes the client-side apply's 256 KiB
last-applied annotation; see docs/scale.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kairflow.cli.errors import UserError
from kairflow.cli.manifests import load_dag, load_python
from kairflow.core.validation import validate_dag

# libyaml's emitter when PyYAML has it: the same text, 3x faster on a 10,000-task DAG.
_SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _BlockDumper(_SAFE_DUMPER):  # type: ignore[valid-type,misc]
    """Multi-line strings (scripts) as `|` blocks, readable in review and kubectl."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def to_yaml(manifests: list[dict[str, Any]]) -> str:
    """A multi-document YAML stream, keys in the manifests' order."""
    return yaml.dump_all(
        manifests, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100
    )


def _yaml_manifest(path: Path) -> dict[str, Any]:
    dag = load_dag(path)
    problems = validate_dag(dag.spec)
    if problems:
        raise UserError(f"{path}: invalid DAG: " + "; ".join(problems))
    metadata = dag.metadata.model_dump(exclude_defaults=True, exclude_none=True)
    return {
        "apiVersion": dag.api_version,
        "kind": "DAG",
        "metadata": metadata,
        "spec": dag.spec.to_wire(),
    }


def dag_manifests(files: list[Path]) -> list[dict[str, Any]]:
    """The DAG manifests of Python DAG files (and YAML ones), validated; the SDK's
    warnings go to stderr."""
    manifests: list[dict[str, Any]] = []
    for path in files:
        if path.suffix == ".py":
            loaded = load_python(path)
            for warning in loaded.warnings:
                typer.echo(f"warning: {warning}", err=True)
            manifests.extend(loaded.manifests)
        else:
            manifests.append(_yaml_manifest(path))
    return manifests


DagFiles = Annotated[list[Path], typer.Argument(help="Python DAG files (or YAML manifests).")]


def render(
    files: DagFiles,
    output: Annotated[str, typer.Option("-o", "--output", help="yaml or json.")] = "yaml",
) -> None:
    """Print the DAG manifests of Python DAG files, for `kubectl apply --server-side -f -`
    (or use `kairflow dags apply`)."""
    if output not in ("yaml", "json"):
        raise UserError(f"-o must be yaml or json, not {output!r}")
    manifests = dag_manifests(files)
    if output == "yaml":
        typer.echo(to_yaml(manifests), nl=False)
    elif len(manifests) == 1:
        typer.echo(json.dumps(manifests[0], indent=2))
    else:
        typer.echo(json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}, indent=2))
