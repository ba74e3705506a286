"""Printing for people and for scripts: tables by default, `-o json|yaml|name`.

`json` and `yaml` print the objects as the API returns them (a `List` for several, as
kubectl does), without `managedFields`; `name` prints `kind/name` per line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from kairflow.cli.errors import UserError
from kairflow.cli.views.fmt import short_duration
from kairflow.cli.views.model import moment

FORMATS = ("table", "json", "yaml", "name")
LIST_FORMATS = ("table", "wide", "json", "yaml", "name")
"""List commands also print `-o wide`: more columns, as kubectl's."""
_KIND_NAMES = {
    "DAG": "dag",
    "DagRun": "dagrun",
    "Backfill": "backfill",
    "Pool": "pool",
    "Asset": "asset",
}


def check_format(output: str, allowed: Sequence[str] = FORMATS) -> str:
    if output not in allowed:
        raise UserError(f"-o: unknown format {output!r} (choose from {', '.join(allowed)})")
    return output


_PIPE_WIDTH = 250


def console() -> Console:
    """stdout for people: colors on a terminal, plain text in a pipe. In a pipe the
    width is not the 80 columns rich assumes but wide enough that `| grep` sees whole
    lines, as with kubectl (COLUMNS still decides when set)."""
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(highlight=False, soft_wrap=False, width=_PIPE_WIDTH)
    return out


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(obj.get("metadata") or {})
    metadata.pop("managedFields", None)
    return {**obj, "metadata": metadata}


def print_objects(objects: list[dict[str, Any]], output: str, *, single: bool = False) -> bool:
    """Print in a machine format; False when `output` is `table` (the caller's job)."""
    if output in ("table", "wide"):
        return False
    if output == "name":
        for obj in objects:
            kind = _KIND_NAMES.get(str(obj.get("kind")), str(obj.get("kind", "")).lower())
            sys.stdout.write(f"{kind}.kairflow.io/{obj['metadata']['name']}\n")
        return True
    cleaned = [_clean(o) for o in objects]
    document: Any = (
        cleaned[0]
        if single and len(cleaned) == 1
        else {"apiVersion": "v1", "kind": "List", "items": cleaned}
    )
    if output == "json":
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False))
    return True


def table(*columns: str) -> Table:
    """A kubectl-like table: upper-case headers, no borders, no title. The first
    column (the name) is never cut; the others give way, with an ellipsis."""
    out = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        out.add_column(column.upper(), overflow="ellipsis", no_wrap=True)
    return out


def keep_first_column(rows: Table, names: Sequence[str]) -> Table:
    """Make the name column as wide as its longest name, so it is never cut."""
    rows.columns[0].min_width = max((len(n) for n in names), default=0)
    return rows


def short_time(text: str | None) -> str:
    """A timestamp for a table cell, in UTC: `2024-01-05 00:00`, with seconds when
    they are not zero (`2026-12-06 08:30:17`)."""
    stamp = moment(text)
    if stamp is None:
        return text or ""
    utc = stamp.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S" if utc.second else "%Y-%m-%d %H:%M")


def age(text: str | None, now: datetime | None = None) -> str:
    """kubectl's AGE column: how long ago `text` was (`45s`, `12m03s`, `3h05m`, `2d04h`)."""
    then = moment(text)
    if then is None:
        return ""
    return short_duration(max((now or datetime.now(UTC)) - then, timedelta(0)))
