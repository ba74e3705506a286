"""`kairflow dags import-airflow FILE_OR_DIR`: Airflow 2 DAG files, as they are, to
Kairflow manifests (see kairflow.airflow_import), with a report on stderr of what
could not be converted, per file, DAG and task, each with its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kairflow.airflow_import import FileReport, import_file
from kairflow.cli.errors import UserError
from kairflow.cli.render import to_yaml


def _shown(text: str) -> str:
    """Paths under the working directory are shown relative to it."""
    cwd = str(Path.cwd()) + "/"
    return text.replace(cwd, "")


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.py") if p.is_file())
    if not path.is_file():
        raise UserError(f"{path}: no such file or directory")
    return [path]


def report_lines(report: FileReport) -> list[str]:
    """What became of one file, for people: a heading line and one line per problem."""
    name = _shown(str(report.path))
    if report.error is not None:
        return [f"{name}: not converted: {_shown(str(report.error))}"]
    lines = []
    converted = ", ".join(d.dag_id for d in report.converted) or "no DAG"
    heading = f"{name}: converted {converted}"
    if report.unconverted:
        heading += f" ({len(report.unconverted)} task(s) cannot run on Kairflow)"
    lines.append(heading)
    lines.extend(f"  refused: {_shown(str(r))}" for r in report.refused)
    lines.extend(f"  cannot convert: {_shown(str(t))}" for t in report.unconverted)
    lines.extend(f"  dropped: {_shown(str(w))}" for w in sorted(set(report.warnings)))
    return lines


def summary(reports: list[FileReport]) -> str:
    dags = sum(len(r.converted) for r in reports)
    tasks = sum(len(r.unconverted) for r in reports)
    refused = sum(len(r.refused) for r in reports)
    failed = sum(1 for r in reports if r.error is not None)
    text = f"{dags} DAG(s) converted from {len(reports)} file(s)"
    if tasks:
        text += f"; {tasks} task(s) cannot run on Kairflow (they fail when the run reaches them)"
    if refused:
        text += f"; {refused} DAG(s) not converted"
    if failed:
        text += f"; {failed} file(s) could not be read"
    return text


def import_airflow(
    source: Annotated[Path, typer.Argument(help="An Airflow DAG file, or a folder of them.")],
    output_dir: Annotated[
        Path | None,
        typer.Option("-o", "--output-dir", help="Write one <dag>.yaml per DAG here."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 2) unless everything converts.")
    ] = False,
) -> None:
    """Convert Airflow 2 DAG files (as they are, without Airflow) to DAG manifests.

    The manifests go to stdout as one YAML stream (or to --output-dir); the report of
    what could not be converted goes to stderr."""
    files = _files(source)
    reports = [import_file(path) for path in files]
    # In a folder, files that define no DAG (helpers, packages) are skipped quietly.
    shown = [r for r in reports if r.has_dags or not source.is_dir()]
    manifests = [d.manifest for r in shown for d in r.converted]
    incomplete = [r for r in shown if not r.complete]
    if strict and incomplete:
        lines = [line for r in shown for line in report_lines(r)]
        typer.echo("\n".join([*lines, summary(shown)]), err=True)
        raise UserError(f"--strict: {summary(shown)}")
    if not manifests:
        typer.echo("\n".join(line for r in shown for line in report_lines(r)), err=True)
        raise UserError(f"{source}: no DAG could be converted")
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        for manifest in manifests:
            (output_dir / f"{manifest['metadata']['name']}.yaml").write_text(to_yaml([manifest]))
    else:
        typer.echo(to_yaml(manifests), nl=False)
    lines = [line for r in shown for line in report_lines(r)]
    typer.echo("\n".join([*lines, summary(shown)]), err=True)
