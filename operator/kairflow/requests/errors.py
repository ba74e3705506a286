"""Input a request cannot be built from, reported the same way by every front end."""

from __future__ import annotations


class RequestError(ValueError):
    """What was asked cannot be done as asked; the message says why, in one line, and
    names the field (`--to: invalid date 'soon'`). The CLI exits 2 with it; the web
    UI answers 400."""


def whole_number(field: str, value: str | int, minimum: int = 1) -> int:
    """A count given as text or a number (a flag's, or a form field's)."""
    try:
        count = int(value)
    except ValueError:
        raise RequestError(f"{field}: {value!r} is not a whole number") from None
    if count < minimum:
        raise RequestError(f"{field}: must be at least {minimum}, got {count}")
    return count
