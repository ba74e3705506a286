"""Where the operator finds the apiserver when it runs in a pod."""

from __future__ import annotations

import kopf
import pytest

from kairflow.controller.handlers import in_cluster_server

IN_POD = kopf.ConnectionInfo(server="https://kubernetes.default.svc", token="t", ca_path="/ca")


@pytest.mark.parametrize(
    "env, server",
    [
        pytest.param(
            {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"},
            "https://10.96.0.1:443",
            id="the address the kubelet injects is used, so no cluster DNS is needed",
        ),
        pytest.param(
            {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"},
            "https://[fd00::1]:6443",
            id="an IPv6 service address is bracketed",
        ),
        pytest.param(
            {},
            "https://kubernetes.default.svc",
            id="without the variables the DNS name stays",
        ),
    ],
)
def test_the_operator_in_a_pod_reaches_the_apiserver_like_client_go(
    env: dict[str, str], server: str
) -> None:
    info = in_cluster_server(IN_POD, env)
    assert info.server == server
    assert (info.token, info.ca_path) == ("t", "/ca")  # the service account's credentials
