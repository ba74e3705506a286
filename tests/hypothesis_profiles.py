"""How many examples a property test runs: `examples(n)` where `n` is its thorough count.

tests/conftest.py registers two Hypothesis profiles and loads the one that
HYPOTHESIS_PROFILE names:
- `fast` (the default): a tenth of each test's thorough count (at least 10), no deadline,
  so that the unit suite stays quick on a loaded machine;
- `thorough`: every test's full count and Hypothesis' own deadline where the test keeps it
  (`HYPOTHESIS_PROFILE=thorough make unit`).
"""

from __future__ import annotations

import os

VARIABLE = "HYPOTHESIS_PROFILE"
FAST = "fast"
THOROUGH = "thorough"
FAST_MINIMUM = 10


def profile() -> str:
    """The profile this test session runs with."""
    return os.environ.get(VARIABLE, FAST)


def examples(thorough: int) -> int:
    """A property test's max_examples: `thorough` in the thorough profile, else a tenth."""
    return thorough if profile() == THOROUGH else max(FAST_MINIMUM, thorough // 10)
