"""A refused server-side apply (`kairflow dags apply`) is one line a user can act on."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException

from kairflow.cli.errors import EXIT_NOT_FOUND, EXIT_USAGE
from kairflow.cli.kube import apply_error

# A DAG whose compact JSON is 1.6 MiB: 16,000 tasks of about a hundred bytes.
BIG = {"metadata": {"name": "huge"}, "spec": {"tasks": [{"name": "t" * 93}] * 16_000}}


def refused(status: int, message: str) -> ApiException:
    exc = ApiException(status=status, reason="refused")
    exc.body = json.dumps({"kind": "Status", "message": message})
    return exc


@pytest.mark.parametrize(
    ("status", "message", "code", "expected"),
    [
        pytest.param(
            409,
            'Apply failed with 1 conflict: conflict with "kubectl-patch": .spec.description',
            EXIT_USAGE,
            'dag "huge": Apply failed with 1 conflict: conflict with "kubectl-patch": '
            ".spec.description; rerun with --force-conflicts to take these fields over",
            id="a field another manager set is a conflict, with the flag that takes it over",
        ),
        pytest.param(
            500,
            "etcdserver: request is too large",
            EXIT_USAGE,
            'dag "huge" is 1.60 MiB of JSON, more than the API server stores in one object '
            "(etcd's request limit, 1.5 MiB by default): split it into smaller DAGs or move "
            "what its tasks repeat into `defaults` (see docs/scale.md); the API server said: "
            "etcdserver: request is too large",
            id="a DAG over etcd's limit says its size and the limit",
        ),
        pytest.param(
            413,
            "Request entity too large: limit is 3145728",
            EXIT_USAGE,
            'dag "huge" is 1.60 MiB of JSON, more than the API server stores in one object '
            "(etcd's request limit, 1.5 MiB by default): split it into smaller DAGs or move "
            "what its tasks repeat into `defaults` (see docs/scale.md); the API server said: "
            "Request entity too large: limit is 3145728",
            id="a DAG over the API server's request limit says the same",
        ),
        pytest.param(
            404,
            'namespaces "nowhere" not found',
            EXIT_NOT_FOUND,
            'dag "huge": namespaces "nowhere" not found',
            id="a missing namespace is named, not the DAG the apply would create",
        ),
        pytest.param(
            422,
            'DAG.kairflow.io "huge" is invalid: spec.tasks: Required value',
            EXIT_USAGE,
            'dag "huge": DAG.kairflow.io "huge" is invalid: spec.tasks: Required value',
            id="a manifest the schema refuses says what the API server said",
        ),
    ],
)
def test_a_refused_apply_is_one_line(status: int, message: str, code: int, expected: str) -> None:
    error = apply_error(refused(status, message), 'dag "huge"', BIG)
    assert (str(error), error.exit_code) == (expected, code)
