"""The timetables Kairflow has: Airflow 3's CronTriggerTimetable (logical date = tick)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kairflow.core.params import written_param


@dataclass(frozen=True)
class CronTriggerTimetable:
    """`schedule=CronTriggerTimetable("0 3 * * *", timezone="Europe/Paris")`."""

    cron: str
    timezone: Any = "UTC"
    interval: timedelta = timedelta(0)


@dataclass(frozen=True)
class Param:
    """Airflow's Param: a default and the JSON schema of its values (`type`, `enum`,
    `minimum`, ... as keywords, or `schema={...}`); written in the manifest as
    `{default: ..., type: ..., ...}`, which the operator checks each run's conf against.
    No default (Airflow's NOTSET) is written `default: null`: required when triggered."""

    default: Any = None
    description: str | None = None
    schema: dict[str, Any] | None = None

    def __init__(self, default: Any = None, description: str | None = None, **schema: Any):
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "description", description)
        given = schema.pop("schema") if "schema" in schema else schema
        object.__setattr__(self, "schema", dict(given) or None)

    def manifest(self) -> Any:
        """The param as the DAG manifest writes it."""
        described = {"description": self.description} if self.description else {}
        return written_param(self.default, {**described, **(self.schema or {})})
