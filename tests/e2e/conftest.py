"""Fixtures every e2e package shares: Debian's headless chromium driven by Playwright
(one for the session: the UI's browser tests and the real-node test of the chart's UI
use the same one, as Playwright's sync API runs one driver per process)."""

from __future__ import annotations

from tests.e2e.ui.browser import browser, playwright

__all__ = ["browser", "playwright"]
