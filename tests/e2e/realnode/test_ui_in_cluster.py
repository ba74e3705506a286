"""The chart's web UI (`ui.enabled`) as users get it: a pod of the operator image
running `kairflow ui --auth token`, opened in chromium through the pod's IP (reachable
from this host), signed in with ServiceAccount tokens. RBAC decides: an editor pauses
a DAG, a read-only token sees the DAGs but cannot trigger. The UI's own identity can
read nothing, and a shared session secret survives the pod's replacement."""

from __future__ import annotations

import secrets
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.realnode.realstack import OPERATOR_NAMESPACE, RealStack, dag_manifest
from tests.e2e.stack import apply, get_json
from tests.e2e.ui.harness import (
    EDITOR,
    PHONE,
    READ_ONLY,
    Endpoint,
    Ui,
    service_account_token,
)
from tests.integration.kube import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
UI_ACCOUNT = "kairflow-kairflow-ui"
SESSION_SECRET = "kairflow-ui-session"


def ui_pods(real: RealStack) -> list[dict[str, Any]]:
    listed = real.kubectl_json(
        "get", "pods", "-n", OPERATOR_NAMESPACE, "-l", "app.kubernetes.io/component=ui"
    )
    return [p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")]


def ready_ui_pod(real: RealStack, not_uid: str = "") -> dict[str, Any] | None:
    for pod in ui_pods(real):
        conditions = pod.get("status", {}).get("conditions", [])
        if pod["metadata"]["uid"] != not_uid and any(
            c["type"] == "Ready" and c["status"] == "True" for c in conditions
        ):
            return pod
    return None


@pytest.fixture
def chart_ui(real: RealStack, ns: str) -> Iterator[dict[str, Any]]:
    """The chart upgraded with the UI (opening on `ns`, with a session Secret); the
    operator-only release again afterwards (the package's other tests expect it)."""
    real.kube.kubectl(
        "create",
        "secret",
        "generic",
        SESSION_SECRET,
        "-n",
        OPERATOR_NAMESPACE,
        f"--from-literal=secret={secrets.token_hex(32)}",
    )
    try:
        real.install(
            "upgrade",
            **{
                "ui.enabled": "true",
                "ui.defaultNamespace": ns,
                "ui.secretName": SESSION_SECRET,
            },
        )
        yield wait_for(lambda: ready_ui_pod(real), timeout=120, interval=0.5, what="the UI pod")
    finally:
        real.install("upgrade")
        wait_for(lambda: not ui_pods(real), timeout=60, what="the UI pod gone")
        real.kube.kubectl("delete", "secret", SESSION_SECRET, "-n", OPERATOR_NAMESPACE, check=False)


def endpoint(pod: dict[str, Any]) -> Endpoint:
    return Endpoint(f"http://{pod['status']['podIP']}:8080")


def test_the_charts_ui_serves_users_with_their_own_tokens(
    real: RealStack, ns: str, chart_ui: dict[str, Any], browser: Browser
) -> None:
    pod = chart_ui
    # The pod as the chart made it: no token of its own, its CA from kube-root-ca.crt.
    spec = pod["spec"]
    assert spec["serviceAccountName"] == UI_ACCOUNT
    assert spec["automountServiceAccountToken"] is False
    assert not any(
        "serviceaccount" in m["mountPath"] for m in spec["containers"][0].get("volumeMounts", [])
    )
    who = f"system:serviceaccount:{OPERATOR_NAMESPACE}:{UI_ACCOUNT}"
    for verb, what in [("list", "dags"), ("get", "pods"), ("list", "secrets")]:
        can = real.kube.kubectl("auth", "can-i", verb, what, "-n", ns, "--as", who, check=False)
        assert can.stdout.strip() == "no", (verb, what)
    (container,) = pod["status"]["containerStatuses"]
    assert container["image"].endswith(real.image)
    server = endpoint(pod)
    with urllib.request.urlopen(f"{server.base}/healthz", timeout=10) as reply:
        assert reply.read() == b"ok"

    apply(real.kube, ns, dag_manifest("etl", [{"name": "t", "bash": "echo hi"}], tags=["demo"]))
    editor_token = service_account_token(real.kube, ns, "editor", EDITOR)
    viewer_token = service_account_token(real.kube, ns, "viewer", READ_ONLY)

    editor = Ui.new(browser, server, ns)
    viewer = Ui.new(browser, server, ns, PHONE)
    try:
        # Not signed in: the login form, and the API answers 401.
        page = editor.open("dags")
        expect(page.get_by_label("Kubernetes bearer token")).to_be_visible()
        assert page.request.get(f"{server.base}/api/session").status == 401

        # The editor signs in and lands on the DAG list of the chart's namespace (the
        # static files, the API calls and the live stream all work from the pod).
        editor.sign_in_with_token(editor_token)
        expect(editor.dag_row("etl")).to_be_visible()
        expect(editor.dag_row("etl")).to_contain_text("demo")
        editor.toggle("etl").click()
        expect(editor.toggle("etl")).to_have_attribute("aria-checked", "false")
        assert get_json(real.kube, ns, "dag", "etl")["spec"]["paused"] is True

        # A read-only token sees the same DAG (on a phone) but cannot trigger it.
        viewer.sign_in_with_token(viewer_token)
        expect(viewer.dag_row("etl")).to_be_visible()
        assert viewer.horizontal_overflow() <= 0
        refused = viewer.post(f"/api/ns/{ns}/dags/etl/runs", {"conf": {}})
        assert refused.status == 403, refused.text()
        assert 'cannot create resource "dagruns"' in refused.json()["error"]
        assert get_json(real.kube, ns, "dagruns")["items"] == []
        viewer.toggle("etl").click()
        expect(viewer.dag_row("etl").get_by_role("alert")).to_contain_text(
            'cannot patch resource "dags"'
        )

        # Tokens never reach the UI's log (read before the pod goes).
        log = real.kube.kubectl(
            "logs", "-n", OPERATOR_NAMESPACE, pod["metadata"]["name"], "--tail=-1"
        ).stdout
        assert "POST /login 302" in log
        for token in (editor_token, viewer_token):
            assert token.split(".")[-1] not in log

        # The session Secret outlives the pod: the editor's cookie still works on its
        # replacement (at a new pod IP, so the cookie is sent by hand).
        cookie = next(c for c in editor.context.cookies() if c["name"] == "kairflow-session")
        real.kube.kubectl(
            "delete", "pod", "-n", OPERATOR_NAMESPACE, pod["metadata"]["name"], "--wait=false"
        )
        replaced = wait_for(
            lambda: ready_ui_pod(real, not_uid=pod["metadata"]["uid"]),
            timeout=120,
            interval=0.5,
            what="the replaced UI pod Ready",
        )
        request = urllib.request.Request(
            f"{endpoint(replaced).base}/api/session",
            headers={"Cookie": f"kairflow-session={cookie['value']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 200
        assert editor.page_errors == [] and viewer.page_errors == []
        assert editor.dialogs == [] and viewer.dialogs == []
    finally:
        editor.close()
        viewer.close()
