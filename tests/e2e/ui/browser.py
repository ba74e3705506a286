"""Debian's headless chromium, driven by Playwright, for a whole test session.

Fixtures that tests/e2e/conftest.py provides to every e2e package, so the
real-node tests open the chart's UI in the same browser as the UI's own tests. The
browser is the system's (`chromium`, or KAIRFLOW_CHROMIUM): nothing downloads one.
Without it the tests skip, unless KAIRFLOW_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.e2e.ui.harness import REQUIRED, chromium_path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        message = "no chromium on this machine (apt-get install chromium)"
        if REQUIRED:  # CI: a machine without the browser fails, it does not skip
            pytest.fail(f"KAIRFLOW_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    # --no-sandbox: the tests may run as root (CI containers), where chromium's
    # sandbox refuses to start.
    browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
    yield browser
    browser.close()
