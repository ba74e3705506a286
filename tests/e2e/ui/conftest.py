"""Fixtures of the browser tests: Debian's headless chromium (driven by Playwright)
on a real `kairflow ui` against the session's cluster, whose DAGs really run (the e2e
`stack`: the operator plus a node agent running pods as local processes).

- `browser` (tests/e2e/conftest.py): one chromium for the session.
- `ui`: `kairflow ui -n <test namespace> --kubeconfig <the cluster's>`, and a tab
  signed in with the printed URL (`ui.page`, `ui.open(path)`, `ui.server`).
- `token_ui`: `kairflow ui --auth token` (the chart's mode) against the cluster's
  https URL and CA; `token_ui.sign_in(token)` is a tab signed in on the login form,
  `token_ui.tab()` one that is not; `token_ui.account(name, rules)` makes a
  ServiceAccount allowed `rules` in the namespace and returns its token.
A failed test leaves full-page screenshots of its tabs under pytest's tmp dir (never
the repository) and prints the server's log; KAIRFLOW_UI_SCREENSHOTS=all keeps them
for every test (to look at the pages while building them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.stack import stack
from tests.e2e.ui.harness import (
    LAPTOP,
    TIMEOUT_MS,
    Ui,
    UiServer,
    cluster_of,
    service_account_token,
)
from tests.integration.kube import Kube

__all__ = ["stack"]
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_ALWAYS = os.environ.get("KAIRFLOW_UI_SCREENSHOTS") == "all"

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "ui-screenshots"


@dataclass
class Tabs:
    """Every tab and UI server of a test, closed afterwards (and shown, when the
    test failed: screenshots of the tabs, the servers' logs)."""

    browser: Browser
    request: pytest.FixtureRequest
    screenshots: Path
    opened: list[Ui] = field(default_factory=list)
    servers: list[UiServer] = field(default_factory=list)

    def new(self, server: UiServer, namespace: str, viewport: dict[str, int] = LAPTOP) -> Ui:
        ui = Ui.new(self.browser, server, namespace, viewport)
        self.opened.append(ui)
        return ui

    def close(self) -> None:
        failed = _failed(self.request)
        problems: list[str] = []
        for number, ui in enumerate(self.opened):
            if failed or _ALWAYS:
                name = f"{self.request.node.name}-{number}"
                try:
                    print(f"screenshot: {ui.screenshot(self.screenshots, name)}")
                except PlaywrightError as exc:  # a crashed tab: the log says more
                    print(f"no screenshot of tab {number}: {exc}")
            problems += [f"uncaught script error: {e}" for e in ui.page_errors]
            problems += [f"the page opened a dialog: {d}" for d in ui.dialogs]
            ui.close()
        for server in self.servers:
            server.stop()
            if failed:
                print(f"--- kairflow ui log ({server.log_path}) ---\n{server.log()}")
        if problems and not failed:
            pytest.fail("\n".join(problems))


# `tabs` comes first in the fixtures below: a machine without chromium skips (or, in
# CI, fails) before a cluster is started for nothing.
@pytest.fixture
def tabs(browser: Browser, request: pytest.FixtureRequest, screenshots: Path) -> Iterator[Tabs]:
    tabs = Tabs(browser, request, screenshots)
    yield tabs
    tabs.close()


@pytest.fixture
def ui(tabs: Tabs, kube: Kube, stack: str, tmp_path: Path) -> Ui:
    """`kairflow ui` on the test's namespace with the cluster's (admin) kubeconfig,
    and a laptop-sized tab signed in with the URL it printed."""
    server = UiServer.start(
        ["-n", stack, "--kubeconfig", str(kube.kubeconfig)], tmp_path / "kairflow-ui.log"
    )
    tabs.servers.append(server)
    ui = tabs.new(server, stack)
    ui.sign_in_with_url()
    return ui


@dataclass
class TokenUi:
    """`kairflow ui --auth token`: every user brings their own bearer token."""

    server: UiServer
    namespace: str
    kube: Kube
    tabs: Tabs

    def tab(self, viewport: dict[str, int] = LAPTOP) -> Ui:
        """A tab that has not signed in."""
        return self.tabs.new(self.server, self.namespace, viewport)

    def sign_in(self, token: str, viewport: dict[str, int] = LAPTOP) -> Ui:
        ui = self.tab(viewport)
        ui.sign_in_with_token(token)
        return ui

    def account(self, name: str, rules: list[Any]) -> str:
        """A ServiceAccount allowed exactly `rules` in the namespace; its token."""
        return service_account_token(self.kube, self.namespace, name, rules)


@pytest.fixture
def token_ui(tabs: Tabs, kube: Kube, stack: str, tmp_path: Path) -> TokenUi:
    api_server, ca_file = cluster_of(kube.kubeconfig)
    server = UiServer.start(
        ["--auth", "token", "--api-server", api_server, "--ca-file", ca_file, "-n", stack],
        tmp_path / "kairflow-ui-token.log",
        # No kubeconfig to fall back on: only the users' tokens reach the cluster.
        env={"KUBECONFIG": str(tmp_path / "no-kubeconfig")},
    )
    tabs.servers.append(server)
    return TokenUi(server, stack, kube, tabs)


@pytest.fixture
def dag_manifest() -> Callable[..., dict[str, Any]]:
    """A small DAG that really runs (two echo tasks); `**spec` overrides its spec."""

    def make(name: str, **spec: Any) -> dict[str, Any]:
        tasks = [{"name": "extract", "bash": "echo extract"}, {"name": "load", "bash": "echo load"}]
        return {
            "apiVersion": "kairflow.io/v1alpha1",
            "kind": "DAG",
            "metadata": {"name": name},
            "spec": {"tasks": tasks, "flow": ["extract >> load"], **spec},
        }

    return make
