"""`--conf` of trigger, test and backfill: a run's conf, a JSON object given inline
or as `@file` (as curl's `-d @file`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kairflow.cli.errors import UserError


def parse_conf(text: str | None) -> dict[str, Any] | None:
    """The conf, or None when the flag was not given; errors as one line."""
    if text is None:
        return None
    source = "--conf"
    if text.startswith("@"):
        source = f"--conf {text}"
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise UserError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    try:
        conf = json.loads(text)
    except ValueError as exc:
        raise UserError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(conf, dict):
        raise UserError(f"{source}: must be a JSON object, got {type(conf).__name__}")
    return conf
