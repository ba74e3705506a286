"""How `kairflow tasks clear|mark` shows and picks what it acts on: the preview table
and a DAG's runs between two dates. Which task instances a request selects is
`kairflow.requests.task_selection`'s (shared with the web UI)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from kairflow.api.types import parse_datetime
from kairflow.cli.errors import UserError
from kairflow.cli.output import table
from kairflow.requests.task_selection import Selected


def preview(selected: Sequence[Selected]) -> Table:
    """The list a user confirms: run, task instance, its state and try now."""
    out = table("run", "task instance", "state", "try")
    for item in selected:
        out.add_row(item.run, item.key, item.state, str(item.try_number))
    return out


def parse_bound(text: str | None, flag: str) -> datetime | None:
    """A --from/--to date: ISO-8601 or YYYY-MM-DD; without a zone it is UTC."""
    if text is None:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def logical_date(run: dict[str, Any]) -> datetime | None:
    """The run's logical date: the operator's resolved one, else the one asked for."""
    text = (run.get("status") or {}).get("logicalDate") or (run.get("spec") or {}).get(
        "logicalDate"
    )
    if not text:
        return None
    moment = parse_datetime(str(text))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def runs_in_range(
    runs: Iterable[dict[str, Any]], dag: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """The DAG's runs whose logical date lies in [start, end] (either bound optional),
    oldest first. A run without a logical date yet is in range only when no bound is
    given."""
    picked: list[tuple[datetime, str, dict[str, Any]]] = []
    for run in runs:
        if (run.get("spec") or {}).get("dagName") != dag:
            continue
        when = logical_date(run)
        if when is None:
            if start is None and end is None:
                picked.append((datetime.max.replace(tzinfo=UTC), run["metadata"]["name"], run))
            continue
        if (start is None or when >= start) and (end is None or when <= end):
            picked.append((when, run["metadata"]["name"], run))
    return [run for _, _, run in sorted(picked, key=lambda item: (item[0], item[1]))]
