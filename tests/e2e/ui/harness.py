"""A real browser on a real `kairflow ui`: what the UI's browser tests share.

`UiServer` runs the installed `kairflow ui` as a subprocess (as a user would) and
reads the URL it prints; an `Endpoint` is a UI served elsewhere (the chart's, in a
pod). `Ui` is one browser tab on either, looking at one namespace: `ui.open("dags")`,
`ui.open_dag("etl", "details")`, `ui.page` for Playwright's locators and `expect`,
`ui.post(...)` for raw API calls with the tab's cookies. Everything waits on
conditions (Playwright's auto-wait, `wait_for`), never on fixed sleeps.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import APIResponse, Browser, BrowserContext, Page, expect

from tests.integration.kube import Kube, wait_for

# CI sets this: a machine without Debian's chromium fails the browser tests instead
# of skipping them (as KAIRFLOW_REQUIRE_REAL_NODE does for the real node).
REQUIRED = os.environ.get("KAIRFLOW_REQUIRE_BROWSER") == "1"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Generous for a shared 2-core machine; a passing test never waits this long.
TIMEOUT_MS = 20_000
KAIRFLOW = Path(sys.executable).parent / "kairflow"
_URL = re.compile(r"Kairflow UI: (\S+)")


def chromium_path() -> str | None:
    """The system's chromium (Debian's package); Playwright never downloads one here."""
    return os.environ.get("KAIRFLOW_CHROMIUM") or shutil.which("chromium")


def cluster_of(kubeconfig: Path) -> tuple[str, str]:
    """The test cluster's API server URL and CA file, from its kubeconfig."""
    loaded = yaml.safe_load(kubeconfig.read_text())
    current = loaded.get("current-context")
    context = next(c for c in loaded["contexts"] if c["name"] == current)["context"]
    cluster = next(c for c in loaded["clusters"] if c["name"] == context["cluster"])["cluster"]
    return str(cluster["server"]), str(cluster["certificate-authority"])


@dataclass
class Endpoint:
    """Where a UI answers: its root URL (`base`), and the sign-in URL `kairflow ui`
    printed (kubeconfig mode only)."""

    base: str
    sign_in: str = ""


@dataclass
class UiServer(Endpoint):
    """A running `kairflow ui`, started by the test."""

    process: subprocess.Popen[bytes] | None = None
    log_path: Path = Path("/dev/null")

    @classmethod
    def start(cls, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> UiServer:
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(KAIRFLOW), "ui", "--port", "0", "--no-open", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )
        server = cls("", process=process, log_path=log_path)

        def printed() -> str | None:
            if process.poll() is not None:
                raise AssertionError(f"kairflow ui exited ({process.returncode}):\n{server.log()}")
            found = _URL.search(server.log())
            return found.group(1) if found else None

        try:
            server.sign_in = wait_for(printed, timeout=60, interval=0.05, what="the UI's URL")
        except BaseException:
            server.stop()
            raise
        server.base = re.sub(r"^(https?://[^/]+).*$", r"\1", server.sign_in)
        return server

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Ui:
    """One browser tab on a UI server, looking at `namespace`.

    `page_errors` collects uncaught script errors and `dialogs` every alert/confirm
    the page opened (dismissed): the fixture fails a test that left any of either.
    """

    server: Endpoint
    namespace: str
    context: BrowserContext
    page: Page
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls, browser: Browser, server: Endpoint, namespace: str, viewport: dict[str, int] = LAPTOP
    ) -> Ui:
        context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        ui = cls(server, namespace, context, page)
        page.on("pageerror", lambda error: ui.page_errors.append(str(error)))

        def dialog(opened: Any) -> None:
            ui.dialogs.append(f"{opened.type}: {opened.message}")
            opened.dismiss()

        page.on("dialog", dialog)
        return ui

    # -- navigation ---------------------------------------------------------------

    def url(self, path: str = "dags") -> str:
        """`path` under the namespace's routes (`dags`, `dags/NAME/details`), or an
        absolute route when it starts with `#` or `/`."""
        if path.startswith(("#", "/")):
            return f"{self.server.base}/{path.lstrip('/')}"
        return f"{self.server.base}/#/ns/{self.namespace}/{path}"

    def open(self, path: str = "dags") -> Page:
        self.page.goto(self.url(path))
        return self.page

    def open_dag(self, dag: str, tab: str = "details") -> Page:
        return self.open(f"dags/{dag}/{tab}")

    def dag_row(self, dag: str) -> Any:
        """The DAG list's row of `dag` (a Playwright locator)."""
        return self.page.locator(f'table.dags tr[data-dag="{dag}"]')

    def toggle(self, dag: str) -> Any:
        """The on/off switch of `dag` (in the list's row, or the DAG page's header)."""
        return self.page.get_by_role("switch", name=re.compile(rf"(Un)?[Pp]ause DAG {dag}$"))

    # -- sign-in ------------------------------------------------------------------

    def sign_in_with_url(self) -> None:
        """`kairflow ui`'s way: open the printed URL (it sets the session cookie)."""
        self.page.goto(self.server.sign_in)
        expect(self.page.get_by_role("heading", name=re.compile("^DAGs"))).to_be_visible()

    def sign_in_with_token(self, token: str) -> None:
        """The chart's way: paste a bearer token on the login form."""
        self.page.goto(f"{self.server.base}/")
        self.page.get_by_label("Kubernetes bearer token").fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name=re.compile("^DAGs"))).to_be_visible()

    # -- layout and raw requests --------------------------------------------------

    def resize(self, viewport: dict[str, int]) -> None:
        self.page.set_viewport_size(viewport)  # type: ignore[arg-type]

    def horizontal_overflow(self) -> int:
        """Pixels the page is wider than the window (0: no sideways scrolling)."""
        return int(self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))

    def csrf(self) -> str:
        reply = self.page.request.get(f"{self.server.base}/api/session")
        assert reply.ok, reply.text()
        return str(reply.json()["csrf"])

    def post(self, path: str, data: Any, *, csrf: bool = True) -> APIResponse:
        """A write with this tab's cookies, as the page's scripts make it."""
        headers = {"Content-Type": "application/json", "Origin": self.server.base}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf()
        return self.page.request.post(
            f"{self.server.base}{path}", data=data, headers=headers, fail_on_status_code=False
        )

    def screenshot(self, directory: Path, name: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


# -- ServiceAccounts with chosen permissions, and their tokens -----------------------

READ_ONLY = [
    {
        "apiGroups": ["kairflow.io"],
        "resources": ["dags", "dagruns", "backfills"],
        "verbs": ["get", "list", "watch"],
    },
    # A big run's task instances (only the operator writes them).
    {
        "apiGroups": ["kairflow.io"],
        "resources": ["taskinstanceslices"],
        "verbs": ["get", "list", "watch"],
    },
]
# What an operator of DAGs may do: read, pause/unpause (patch), trigger (create runs).
EDITOR = [{**READ_ONLY[0], "verbs": ["get", "list", "watch", "patch", "create"]}, READ_ONLY[1]]


def service_account_token(kube: Kube, namespace: str, name: str, rules: list[Any]) -> str:
    """A ServiceAccount in `namespace` allowed exactly `rules` there, and a token of it
    (TokenRequest, as `kubectl create token` makes)."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name},
        "rules": rules,
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    }
    kube.kubectl("create", "serviceaccount", name, "-n", namespace)
    kube.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump_all([role, binding]))
    token = kube.kubectl("create", "token", name, "-n", namespace, "--duration", "1h")
    return token.stdout.strip()
