"""Kubeconfig files for the local cluster's clients: people, tests and node components."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml


def write_kubeconfig(
    path: Path,
    server: str,
    credentials: str | Mapping[str, str],
    ca_file: Path,
    namespace: str = "default",
) -> None:
    """`credentials`: a bearer token, or a kubeconfig `user` entry (client certificate)."""
    user = {"token": credentials} if isinstance(credentials, str) else dict(credentials)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kairflow-local",
                "cluster": {"server": server, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [{"name": "kairflow-admin", "user": user}],
        "contexts": [
            {
                "name": "kairflow-local",
                "context": {
                    "cluster": "kairflow-local",
                    "user": "kairflow-admin",
                    "namespace": namespace,
                },
            }
        ],
        "current-context": "kairflow-local",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
