"""The UI's security in a real browser: Kubernetes RBAC decides (a read-only token
sees but cannot act, and is told why), no token means 401 and the login page, writes
need the CSRF token, cluster strings are shown as text, and tokens stay out of logs."""

from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.stack import apply
from tests.e2e.ui.conftest import TokenUi
from tests.e2e.ui.harness import EDITOR, PHONE, READ_ONLY, Ui, cluster_of
from tests.integration.kube import Kube, wait_for

pytestmark = pytest.mark.e2e
DagManifest = Callable[..., dict[str, Any]]
PAYLOAD = "<img src=x onerror=alert(1)>"


def paused(kube: Kube, ns: str, dag: str) -> bool:
    return bool(kube.get(ns, "dags", dag)["spec"].get("paused"))


def accepted(kube: Kube, token: str) -> bool:
    """Whether the API server takes `token` (any authenticated user may read /version)."""
    server, ca_file = cluster_of(kube.kubeconfig)
    request = urllib.request.Request(
        f"{server}/version", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca_file)):
            return True
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return False
        raise


def test_a_read_only_user_sees_the_dags_but_cannot_pause_or_trigger_and_sees_why(
    token_ui: TokenUi, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    viewer = token_ui.sign_in(token_ui.account("viewer", READ_ONLY))
    viewer.open("dags")
    expect(viewer.dag_row("etl")).to_be_visible()

    viewer.toggle("etl").click()
    # Shown where the action was made, in the API server's words (the permission).
    refusal = viewer.dag_row("etl").get_by_role("alert")
    expect(refusal).to_contain_text("Forbidden")
    expect(refusal).to_contain_text('cannot patch resource "dags"')
    expect(refusal).to_contain_text("system:serviceaccount:" + stack + ":viewer")
    expect(viewer.toggle("etl")).to_have_attribute("aria-checked", "true")
    assert not paused(kube, stack, "etl")
    # The long message wraps under the switch, even on a phone.
    viewer.resize(PHONE)
    assert viewer.horizontal_overflow() <= 0

    # The same on the DAG page's header.
    page = viewer.open_dag("etl", "details")
    viewer.toggle("etl").click()
    expect(page.locator(".dag-header").get_by_role("alert")).to_contain_text(
        'cannot patch resource "dags"'
    )
    assert not paused(kube, stack, "etl")

    # Triggering is a DagRun create: refused the same way, nothing created.
    reply = viewer.post(f"/api/ns/{stack}/dags/etl/runs", {"conf": {}})
    assert reply.status == 403, reply.text()
    assert 'cannot create resource "dagruns"' in reply.json()["error"]
    assert kube.kubectl("get", "dagruns", "-n", stack, "-o", "name").stdout.strip() == ""


def test_an_editor_token_pauses_with_its_own_identity(
    token_ui: TokenUi, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    editor = token_ui.sign_in(token_ui.account("editor", EDITOR))
    editor.open("dags")
    editor.toggle("etl").click()
    expect(editor.toggle("etl")).to_have_attribute("aria-checked", "false")
    assert paused(kube, stack, "etl")
    # Another namespace is not the editor's: RBAC there says no to the same person.
    page = editor.open("#/ns/default/dags")
    expect(page.get_by_role("alert").first).to_contain_text('cannot list resource "dags"')


def test_without_a_token_the_api_answers_401_and_the_page_asks_to_sign_in(
    token_ui: TokenUi, stack: str, dag_manifest: DagManifest, kube: Kube
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    stranger = token_ui.tab()
    page = stranger.open("dags")
    expect(page.get_by_label("Kubernetes bearer token")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^DAGs"))).to_have_count(0)
    base = token_ui.server.base
    for path in ["/api/session", f"/api/ns/{stack}/stream", f"/api/ns/{stack}/dags/etl"]:
        assert page.request.get(base + path).status == 401, path
    write = page.request.post(
        f"{base}/api/ns/{stack}/dags/etl/paused",
        data={"paused": True},
        headers={"Origin": base},
        fail_on_status_code=False,
    )
    assert write.status == 401
    assert not paused(kube, stack, "etl")


def test_a_token_the_api_server_rejects_does_not_sign_in(token_ui: TokenUi) -> None:
    tab = token_ui.tab()
    page = tab.open("/")
    page.get_by_label("Kubernetes bearer token").fill("not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The API server did not accept that token.")).to_be_visible()
    assert page.request.get(f"{token_ui.server.base}/api/session").status == 401


def test_a_revoked_token_ends_the_session_and_signing_in_again_returns_to_the_page(
    token_ui: TokenUi, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    token = token_ui.account("editor", EDITOR)
    user = token_ui.sign_in(token)
    page = user.open_dag("etl", "details")
    expect(user.toggle("etl")).to_be_visible()
    # The ServiceAccount goes (a token revoked, or expired): once the API server's
    # authentication cache lets go of it (seconds), its token is refused.
    kube.kubectl("delete", "serviceaccount", "editor", "-n", stack)
    wait_for(lambda: not accepted(kube, token), timeout=60, what="the token refused")
    user.toggle("etl").click()
    expect(page.get_by_text("Your session ended")).to_be_visible()
    expect(page.get_by_label("Kubernetes bearer token")).to_be_visible()
    assert page.request.get(f"{token_ui.server.base}/api/session").status == 401
    assert not paused(kube, stack, "etl")
    # A fresh token signs in and lands back on the same DAG page, where it acts.
    page.get_by_label("Kubernetes bearer token").fill(token_ui.account("editor2", EDITOR))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"#/ns/[^/]+/dags/etl/details$"))
    user.toggle("etl").click()
    expect(user.toggle("etl")).to_have_attribute("aria-checked", "false")
    assert paused(kube, stack, "etl")


def test_kubeconfig_mode_without_the_printed_url_is_401(ui: Ui) -> None:
    base = ui.server.base
    # A second browser profile (another local user, another web page's requests).
    other = ui.context.browser.new_context()  # type: ignore[union-attr]
    try:
        reply = other.request.get(f"{base}/api/session")
        assert reply.status == 401
        assert "kairflow ui" in reply.json()["error"]
        wrong = other.request.get(f"{base}/login?token=guessed", max_redirects=0)
        assert wrong.status == 401
        assert other.request.get(f"{base}/api/session").status == 401
    finally:
        other.close()


def test_a_write_without_the_csrf_token_is_refused(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    path = f"/api/ns/{stack}/dags/etl/paused"
    missing = ui.post(path, {"paused": True}, csrf=False)
    assert missing.status == 403, missing.text()
    assert missing.json()["reason"] == "CSRF"
    cross_site = ui.page.request.post(
        ui.server.base + path,
        data={"paused": True},
        headers={"X-CSRF-Token": ui.csrf(), "Origin": "https://evil.example"},
        fail_on_status_code=False,
    )
    assert cross_site.status == 403
    assert not paused(kube, stack, "etl")
    # The page's own way (same origin, the session's token) is accepted.
    assert ui.post(path, {"paused": True}).status == 200
    assert paused(kube, stack, "etl")


def test_html_in_a_dags_text_is_shown_as_text_and_never_runs(
    ui: Ui, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(
        kube,
        stack,
        dag_manifest(
            "xss",
            description=f"desc {PAYLOAD}",
            tags=[PAYLOAD],
            defaults={"owner": PAYLOAD},
            params={"note": PAYLOAD},
        ),
    )
    # The schedule is free text too, echoed in the list and in the operator's Ready
    # condition ("Not ready: ...").
    apply(kube, stack, dag_manifest("xss-schedule", schedule=PAYLOAD))
    page = ui.open("dags")
    row = ui.dag_row("xss")
    expect(row.locator(".desc")).to_have_text(f"desc {PAYLOAD}")
    expect(row.get_by_role("button", name=PAYLOAD)).to_be_visible()
    expect(row).to_contain_text(PAYLOAD)
    expect(ui.dag_row("xss-schedule").locator(".schedule")).to_contain_text(PAYLOAD)
    expect(ui.dag_row("xss-schedule").locator(".problem")).to_contain_text("Not ready:")
    assert page.locator("main img").count() == 0

    ui.open_dag("xss", "details")
    expect(page.locator(".dag-header .desc")).to_have_text(f"desc {PAYLOAD}")
    expect(page.locator(".dag-header")).to_contain_text(f"Owner: {PAYLOAD}")
    expect(page.locator(".details pre.code")).to_contain_text(PAYLOAD)
    assert page.locator("main img").count() == 0
    # No alert() ran: the `ui` fixture fails the test on any dialog the page opened.
    assert ui.dialogs == []


def test_every_page_is_served_with_a_policy_that_forbids_inline_scripts(ui: Ui) -> None:
    reply = ui.page.request.get(f"{ui.server.base}/")
    policy = reply.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert reply.headers["x-frame-options"] == "DENY"


def test_tokens_never_reach_the_servers_log(
    token_ui: TokenUi, kube: Kube, stack: str, dag_manifest: DagManifest
) -> None:
    apply(kube, stack, dag_manifest("etl"))
    token = token_ui.account("editor", EDITOR)
    editor = token_ui.sign_in(token)
    editor.open("dags")
    editor.toggle("etl").click()
    expect(editor.toggle("etl")).to_have_attribute("aria-checked", "false")
    log = token_ui.server.log()
    assert "POST /login 302" in log  # the log is written (and read) at all
    # Not the token, and none of its three parts (a JWT's signature alone is a secret).
    for part in [token, *token.split(".")]:
        assert part not in log
