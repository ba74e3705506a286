"""Deadline alerts (Airflow 3.1's DeadlineAlert): a run not finished by a deadline
fires a callback, once.

A deadline is a reference time of the run (`dagrunQueuedAt`, `dagrunLogicalDate`, or
a `fixedDatetime`) plus an `interval`. A run still unfinished then fires the
deadline's callback (a `CallbackSpec`, as the DAG's other callbacks), gets a Warning
Event and the condition DeadlineMissed, and goes on. A run that finishes before its
deadline cancels it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from kairflow.api.callbacks import CALLBACK_NAME_PATTERN, CallbackSpec
from kairflow.api.common import WireModel
from kairflow.api.types import Duration, LenientDateTime


class DeadlineReference(StrEnum):
    """What a deadline counts from (Airflow's DeadlineReference)."""

    DAGRUN_QUEUED_AT = "dagrunQueuedAt"
    DAGRUN_LOGICAL_DATE = "dagrunLogicalDate"
    FIXED_DATETIME = "fixedDatetime"


class DeadlineSpec(WireModel):
    """One deadline of the DAG's runs: `reference` + `interval`, and its callback."""

    name: str | None = Field(
        default=None, pattern=CALLBACK_NAME_PATTERN, description="Shown in status and Events."
    )
    reference: DeadlineReference = Field(
        description="dagrunQueuedAt (when the run was queued), dagrunLogicalDate, or "
        "fixedDatetime (with `datetime`)."
    )
    datetime: LenientDateTime | None = Field(
        default=None, description="With reference fixedDatetime: the time (ISO-8601)."
    )
    interval: Duration = Field(description="Added to the reference: the deadline.")
    callback: CallbackSpec = Field(description="What runs when the deadline is missed.")

    @model_validator(mode="after")
    def _fixed_needs_datetime(self) -> DeadlineSpec:
        fixed = self.reference == DeadlineReference.FIXED_DATETIME
        if fixed != (self.datetime is not None):
            raise ValueError(
                "deadline: `datetime` goes with reference fixedDatetime, and only with it"
            )
        return self

    @property
    def label(self) -> str:
        return self.name or f"{self.reference.value}+{self.interval}"
