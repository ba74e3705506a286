"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import hypothesis  # noqa: F401 - imported first: see below
import pytest

# Importing hypothesis lazily, deep inside a test, makes pytest's assertion rewriter
# hit CPython 3.11.7's "AST constructor recursion depth mismatch" (fixed in 3.11.8).

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# The real control plane, the operator and per-test namespaces, for integration and
# e2e tests alike (fixtures are only started when a test asks for them).
pytest_plugins = ["tests.cluster"]
