"""LatestOnlyOperator: skip the direct downstream tasks unless the run is the latest."""

from __future__ import annotations

from typing import Any

from kairflow.sdk.baseoperator import BaseOperator


class LatestOnlyOperator(BaseOperator):
    """`LatestOnlyOperator(task_id="latest_only")`: a `latestOnly` task (no pod). Its
    direct downstream tasks are skipped unless the run is the latest scheduled one;
    manual runs always proceed (Airflow 2.10's rule)."""

    def spec_fields(self) -> dict[str, Any]:
        return {"latest_only": True}
