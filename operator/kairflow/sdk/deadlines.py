"""Airflow 3.1's deadline alerts in Python DAGs: `DAG(..., deadline=DeadlineAlert(...))`.

```python
DeadlineAlert(
    reference=DeadlineReference.DAGRUN_QUEUED_AT,   # or DAGRUN_LOGICAL_DATE,
    interval=timedelta(hours=2),                    # or FIXED_DATETIME(datetime(...))
    callback=SlackWebhookNotifier(text="{{ dag.dag_id }} is late"),
)
```

The callback is a Kairflow callback (`Callback`, a notifier): it runs as a pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kairflow.sdk.callbacks import Callback
from kairflow.sdk.errors import SdkError
from kairflow.sdk.values import duration, utc_datetime


@dataclass(frozen=True)
class Reference:
    """What a deadline counts from."""

    name: str
    moment: str | None = None


class DeadlineReference:
    """Airflow's DeadlineReference."""

    DAGRUN_QUEUED_AT = Reference("dagrunQueuedAt")
    DAGRUN_LOGICAL_DATE = Reference("dagrunLogicalDate")

    @staticmethod
    def FIXED_DATETIME(moment: datetime) -> Reference:
        return Reference("fixedDatetime", utc_datetime(moment, "FIXED_DATETIME"))


@dataclass
class DeadlineAlert:
    """A run unfinished at `reference` + `interval` runs `callback` once."""

    reference: Reference
    interval: timedelta
    callback: Callback
    name: str | None = None

    def spec(self) -> dict[str, Any]:
        if not isinstance(self.callback, Callback):
            raise SdkError(
                "DeadlineAlert: the callback must be a kairflow.sdk.Callback or a notifier "
                f"(callbacks are pods, not Python functions), not {self.callback!r}"
            )
        fields: dict[str, Any] = {
            "name": self.name,
            "reference": self.reference.name,
            "datetime": self.reference.moment,
            "interval": duration(self.interval, "interval"),
            "callback": self.callback.spec(),
        }
        return {k: v for k, v in fields.items() if v is not None}


def deadline_specs(value: Any) -> list[dict[str, Any]]:
    """`deadline=` as DeadlineSpec fields: one DeadlineAlert or a list of them."""
    alerts = value if isinstance(value, list | tuple) else [value]
    for alert in alerts:
        if not isinstance(alert, DeadlineAlert):
            raise SdkError(f"deadline= takes DeadlineAlert objects, not {alert!r}")
    return [alert.spec() for alert in alerts]
