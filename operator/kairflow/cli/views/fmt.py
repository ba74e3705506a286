"""Small text helpers the views share: cutting, durations and clock times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, padded with spaces to `width`."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + ELLIPSIS
    return set_cell_size(text, width)


def cut(text: str, width: int) -> str:
    """`text` cut to at most `width` cells with an ellipsis (not padded)."""
    return fit(text, width).rstrip() if cell_len(text) > width else text


def short_duration(delta: timedelta) -> str:
    """At most two units (`1h02m`, `3m05s`, `12s`, `0.4s`): readable in a narrow column."""
    seconds = delta.total_seconds()
    if seconds < 0:
        return "-" + short_duration(-delta)
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def clock(moment: datetime, *, with_date: bool = False) -> str:
    """A UTC time of day, `HH:MM:SS` (with `MM-DD ` in front when asked)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
