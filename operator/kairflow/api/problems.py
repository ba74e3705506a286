"""pydantic's validation errors as the one-line problems users see everywhere
(status conditions, Events, CLI errors), without pydantic's URLs and line breaks."""

from __future__ import annotations

from pydantic import ValidationError


def validation_problems(error: ValidationError, where: str = "") -> list[str]:
    """One line per error, named by its field path: "tasks.0.retries: Input should be
    a valid integer". `where` prefixes every path (e.g. "spec")."""
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (*([where] if where else []), *item["loc"]))
        message = " ".join(str(item["msg"]).split())
        problems.append(f"{path or 'manifest'}: {message}")
    return problems
