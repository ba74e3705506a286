"""Aligned columns laid out for the terminal's width, one `Text` per line.

Rich's `Table` shrinks every column alike when a row is too wide, cutting state names
before long messages. The views want the opposite: fixed columns keep their width,
the first (names) is capped, the last (messages) takes what is left and is cut (or,
`fold`, wrapped under itself). Lines are built directly, so a 200-task view costs
200 lines, and no line is ever wider than the terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

_GAP = "  "


@dataclass(frozen=True)
class Row:
    """A row's cells, full-width note lines under it (and `before` it), and the
    indentation (`lead`) of lines that hang under it when its last cell does not fit
    beside the others."""

    cells: Sequence[Text]
    notes: Sequence[Text] = ()
    lead: Text = field(default_factory=Text)
    before: Sequence[Text] = ()


class Fitted:
    """A renderable built for the width it is given (the console's, or less)."""

    def __init__(self, build: Callable[[int], Sequence[RenderableType]]) -> None:
        self._build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self._build(options.max_width)


def _cell(text: Text, width: int) -> Text:
    out = text.copy()
    out.truncate(width, overflow="ellipsis", pad=True)
    return out


def _line(text: Text, width: int) -> Text:
    out = text.copy()
    out.truncate(width, overflow="ellipsis")
    out.no_wrap = True
    return out


def _wrapped(text: Text, width: int) -> list[Text]:
    """Word-wrapped lines of a one-style text (the views' messages are)."""
    pieces = textwrap.wrap(text.plain, max(width, 1), break_long_words=True) or [""]
    return [Text(piece, style=text.style) for piece in pieces]


def lay_out(
    headers: Sequence[str],
    rows: Sequence[Row],
    width: int,
    *,
    first_cap: int | None,
    wrap: bool = False,
    last_min: int = 24,
) -> list[Text]:
    """Header and rows as lines of at most `width` cells. The last column is cut to
    one line, or with `wrap` shown whole; when less than `last_min` cells are left for
    it, it moves under each row (indented by the row's `lead`)."""
    count = len(headers)
    natural = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row.cells):
            natural[i] = max(natural[i], cell.cell_len)
    middle = sum(natural[1:-1]) + len(_GAP) * (count - 1)
    first = natural[0] if first_cap is None else min(natural[0], first_cap)
    # Names give way to the last column down to a third of the screen, no further.
    first = max(min(first, width - middle - last_min), min(first, max(8, width // 3)))
    last = width - first - middle
    beside = last >= min(last_min, natural[-1])
    shown = headers if beside else headers[:-1]
    lines = [_line(_assemble([Text(h, style="bold") for h in shown], first, natural), width)]
    for row in rows:
        lines.extend(_line(heading, width) for heading in row.before)
        cells, message = list(row.cells[:-1]), row.cells[-1]
        if beside:
            pieces = _wrapped(message, last) if wrap else [message]
            lines.append(_line(_assemble([*cells, pieces[0]], first, natural), width))
            indent = Text(" " * (width - last))
            lines.extend(_line(indent + piece, width) for piece in pieces[1:])
        else:
            lines.append(_line(_assemble(cells, first, natural), width))
            if message.plain:
                room = width - row.lead.cell_len
                pieces = _wrapped(message, room) if wrap else [message]
                lines.extend(_line(row.lead + piece, width) for piece in pieces)
        lines.extend(_line(note, width) for note in row.notes)
    for line in lines:
        line.rstrip()
    return lines


def _assemble(cells: Sequence[Text], first: int, natural: Sequence[int]) -> Text:
    """Cells padded to their column's width; the last one as it is."""
    out = _cell(cells[0], first) if len(cells) > 1 else cells[0].copy()
    for i, cell in enumerate(cells[1:], start=1):
        out.append(_GAP)
        out.append_text(_cell(cell, natural[i]) if i < len(cells) - 1 else cell)
    return out
