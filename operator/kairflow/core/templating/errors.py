"""The two errors of templating: what callers see, and what the sandbox refuses."""

from __future__ import annotations

from jinja2.exceptions import SecurityError


class TemplateError(Exception):
    """A template that cannot be parsed or rendered; the message names the field,
    e.g. "bash: 'params' has no attribute 'missing'"."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail


class Refused(SecurityError):
    """An operation the sandbox refuses (too large, or not supported in Kairflow)."""
