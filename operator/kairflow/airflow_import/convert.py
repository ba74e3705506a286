"""One Airflow DAG file to Kairflow manifests, with what could not be converted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kairflow.airflow_import.finder import airflow_modules
from kairflow.sdk.errors import Location, SdkError, SdkWarning
from kairflow.sdk.loader import executed
from kairflow.sdk.manifest import to_manifest
from kairflow.sdk.operators.unconvertible import UnconvertibleTask


@dataclass(frozen=True)
class UnconvertedTask:
    """A task kept as an UnconvertibleTask: it fails with `reason` when it runs."""

    dag_id: str
    task_id: str
    where: Location
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.dag_id}.{self.task_id}: {self.reason}"


@dataclass(frozen=True)
class ConvertedDag:
    dag_id: str
    manifest: dict[str, Any]
    unconverted: list[UnconvertedTask]


@dataclass(frozen=True)
class RefusedDag:
    """A DAG with no manifest, and why."""

    dag_id: str
    where: Location
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: DAG {self.dag_id}: {self.reason}"


@dataclass
class FileReport:
    """What became of one file: its DAGs, or the error that stopped it."""

    path: Path
    converted: list[ConvertedDag] = field(default_factory=list)
    refused: list[RefusedDag] = field(default_factory=list)
    warnings: list[SdkWarning] = field(default_factory=list)
    error: SdkError | None = None

    @property
    def has_dags(self) -> bool:
        return bool(self.converted or self.refused or self.error)

    @property
    def unconverted(self) -> list[UnconvertedTask]:
        return [t for dag in self.converted for t in dag.unconverted]

    @property
    def complete(self) -> bool:
        """Everything converted (warnings aside)."""
        return self.error is None and not self.refused and not self.unconverted


def _unconverted(dag: Any) -> list[UnconvertedTask]:
    return [
        UnconvertedTask(dag.dag_id, t.task_id, t.location, t.reason)
        for t in dag.tasks
        if isinstance(t, UnconvertibleTask)
    ]


def _is_unconvertible_warning(warning: SdkWarning) -> bool:
    return "cannot run on Kairflow" in warning.message


def import_file(path: str | Path) -> FileReport:
    """Run the Airflow file with the shims and build each DAG's manifest."""
    report = FileReport(Path(path))
    try:
        with airflow_modules(), executed(path) as dags:
            for dag in dags:
                report.warnings.extend(w for w in dag.warnings if not _is_unconvertible_warning(w))
                refusal = getattr(dag, "refusal", None)
                if refusal is not None:
                    report.refused.append(RefusedDag(dag.dag_id, dag.location, refusal))
                    continue
                try:
                    manifest = to_manifest(dag)
                except SdkError as exc:
                    report.refused.append(RefusedDag(dag.dag_id, exc.where, exc.detail))
                    continue
                report.converted.append(ConvertedDag(dag.dag_id, manifest, _unconverted(dag)))
    except SdkError as exc:
        report.error = exc
    return report
