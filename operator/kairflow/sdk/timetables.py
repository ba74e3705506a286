"""The timetables Kairflow has: Airflow 3's CronTriggerTimetable (logical date = tick)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class CronTriggerTimetable:
    """`schedule=CronTriggerTimetable("0 3 * * *", timezone="Europe/Paris")`."""

    cron: str
    timezone: Any = "UTC"
    interval: timedelta = timedelta(0)


@dataclass(frozen=True)
class Param:
    """Airflow's Param: a default value (its JSON-schema keywords are not checked)."""

    default: Any = None
    description: str | None = None
    schema: dict[str, Any] | None = None

    def __init__(self, default: Any = None, description: str | None = None, **schema: Any):
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "schema", schema or None)
