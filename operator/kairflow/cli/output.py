"""Printing for people and for scripts: tables by default, `-o json|yaml|name`.

`json` and `yaml` print the objects as the API returns them (a `List` for several, as
kubectl does), without `managedFields`; `name` prints `kind/name` per line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from kairflow.api.types import parse_datetime
from kairflow.cli.errors import UserError

FORMATS = ("table", "json", "yaml", "name")
_KIND_NAMES = {"DAG": "dag", "DagRun": "dagrun", "Backfill": "backfill"}


def check_format(output: str, allowed: Sequence[str] = FORMATS) -> str:
    if output not in allowed:
        raise UserError(f"-o: unknown format {output!r} (choose from {', '.join(allowed)})")
    return output


def console() -> Console:
    """stdout for people: colors on a terminal, plain text in a pipe."""
    return Console(highlight=False, soft_wrap=False)


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(obj.get("metadata") or {})
    metadata.pop("managedFields", None)
    return {**obj, "metadata": metadata}


def print_objects(objects: list[dict[str, Any]], output: str, *, single: bool = False) -> bool:
    """Print in a machine format; False when `output` is `table` (the caller's job)."""
    if output == "table":
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
    """A kubectl-like table: upper-case headers, no borders, no title."""
    out = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        out.add_column(column.upper(), overflow="ellipsis", no_wrap=True)
    return out


def when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def age(text: str | None, now: datetime | None = None) -> str:
    """kubectl's AGE: `45s`, `12m`, `3h`, `2d`, `1y`."""
    moment = when(text)
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    return duration_words(max(seconds, 0))


def duration_words(seconds: float) -> str:
    """A short duration: `0.4s`, `12s`, `3m20s`, `2h5m`, `4d3h`."""
    if seconds < 10:
        return f"{seconds:.1f}s" if seconds % 1 else f"{int(seconds)}s"
    whole = int(seconds)
    for unit, size, sub, sub_size in (
        ("d", 86400, "h", 3600),
        ("h", 3600, "m", 60),
        ("m", 60, "s", 1),
    ):
        if whole >= size:
            rest = (whole % size) // sub_size
            return (
                f"{whole // size}{unit}{rest}{sub}"
                if rest and whole < size * 10
                else (f"{whole // size}{unit}")
            )
    return f"{whole}s"
