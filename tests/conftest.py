"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import hypothesis
import pytest

from tests.hypothesis_profiles import FAST, FAST_MINIMUM, THOROUGH, profile

# hypothesis is imported here, before any test module: importing it lazily, deep inside
# a test, makes pytest's assertion rewriter hit CPython 3.11.7's "AST constructor
# recursion depth mismatch" (fixed in 3.11.8).

ROOT = Path(__file__).resolve().parent.parent

# Property tests ask for `examples(n)` (tests/hypothesis_profiles.py); these are the
# defaults for the rest. Deadlines fail tests on a busy machine: off when fast.
hypothesis.settings.register_profile(FAST, max_examples=FAST_MINIMUM, deadline=None)
hypothesis.settings.register_profile(THOROUGH)  # Hypothesis' own defaults
hypothesis.settings.load_profile(profile())


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# The real control plane, the operator and per-test namespaces, for integration and
# e2e tests alike (fixtures are only started when a test asks for them); how the tests
# share the machine's CPUs and its one real node among pytest-xdist workers.
pytest_plugins = ["tests.cluster", "tests.workers"]
