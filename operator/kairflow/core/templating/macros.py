"""Airflow's `macros` namespace and its ds / ts filters.

Airflow's `macros` exposes whole modules (`macros.uuid.os.system` would be
reachable); here `macros` is a curated namespace of functions and classes that touch
no file, network or process.
"""

from __future__ import annotations

import functools
import random as _random
import time as _time
import uuid as _uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from dateutil import parser as _dateutil_parser  # type: ignore[import-untyped]
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from kairflow.core.templating.errors import Refused
from kairflow.core.templating.names import Namespace

__all__ = ["DATE_FILTERS", "MACROS", "ds_add", "ds_format"]

MAX_DATE_TEXT = 10_000
"""Longest text dateutil may parse: its parser costs some 7 microseconds a
character, so 600 000 characters would hold the render for ~4 s in one call, past
the CPU budget's reach."""


def ds_add(ds: str, days: int) -> str:
    """Add (or subtract) days to a YYYY-MM-DD date: ds_add('2015-01-01', 5) ->
    '2015-01-06'."""
    if not days:
        return str(ds)
    moved = datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)
    return moved.strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Reformat a date string: ds_format('2015-01-01', '%Y-%m-%d', '%m-%d-%y') ->
    '01-01-15'."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def _short_text(parse: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(parse)
    def parse_short(timestr: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(timestr, str | bytes) and len(timestr) > MAX_DATE_TEXT:
            raise Refused(
                f"{name} input is too large ({len(timestr)} > {MAX_DATE_TEXT} characters)"
            )
        return parse(timestr, *args, **kwargs)

    return parse_short


def _macros() -> Namespace:
    # Functions and classes only: no module objects (a module's attributes reach
    # os, sys, subprocess...). uuid1 is left out: finding the node id may run
    # `ifconfig`. No sleep: it would hold the operator.
    return Namespace(
        "macros",
        ds_add=ds_add,
        ds_format=ds_format,
        datetime=datetime,
        timedelta=timedelta,
        dateutil=Namespace(
            "macros.dateutil",
            relativedelta=Namespace("macros.dateutil.relativedelta", relativedelta=relativedelta),
            parser=Namespace(
                "macros.dateutil.parser",
                parse=_short_text(_dateutil_parser.parse, "macros.dateutil.parser.parse"),
                isoparse=_short_text(_dateutil_parser.isoparse, "macros.dateutil.parser.isoparse"),
            ),
        ),
        time=Namespace(
            "macros.time",
            time=_time.time,
            gmtime=_time.gmtime,
            strftime=_time.strftime,
        ),
        uuid=Namespace("macros.uuid", uuid4=_uuid.uuid4, UUID=_uuid.UUID),
        random=_random.random,
    )


MACROS = _macros()
"""Read-only, so one instance serves every render."""


def _ds_filter(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d")


def _ds_nodash_filter(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%d")


def _ts_filter(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _ts_nodash_filter(value: date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%dT%H%M%S")


def _ts_nodash_with_tz_filter(value: date | None) -> str | None:
    return None if value is None else value.isoformat().replace("-", "").replace(":", "")


DATE_FILTERS: dict[str, Callable[[date | None], str | None]] = {
    "ds": _ds_filter,
    "ds_nodash": _ds_nodash_filter,
    "ts": _ts_filter,
    "ts_nodash": _ts_nodash_filter,
    "ts_nodash_with_tz": _ts_nodash_with_tz_filter,
}
"""Airflow's date filters: `{{ data_interval_end | ds }}`; None passes through."""
