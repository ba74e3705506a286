"""Fixtures of the real-node e2e tests: one stack for the package, a namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from kairflow.localcluster.node import NodeUnavailable
from tests.e2e.realnode.realstack import REQUIRED, RealStack, start_real_stack
from tests.integration.kube import wait_for


@pytest.fixture(scope="package")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealStack]:
    try:
        stack, cluster = start_real_stack(tmp_path_factory.mktemp("realnode"))
    except NodeUnavailable as exc:
        if REQUIRED:  # CI: a machine that cannot run the node is a failure, not a skip
            pytest.fail(f"KAIRFLOW_REQUIRE_REAL_NODE=1 but no real node here: {exc}")
        pytest.skip(f"no real node on this machine: {exc}")
    try:
        yield stack
    finally:
        cluster.stop()


@pytest.fixture
def ns(real: RealStack) -> Iterator[str]:
    """A fresh namespace (with its default ServiceAccount) for one test."""
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    real.kube.kubectl("create", "namespace", name)
    wait_for(
        lambda: real.kube.kubectl("get", "sa", "default", "-n", name, check=False).returncode == 0,
        timeout=30,
        what=f"the default ServiceAccount of {name}",
    )
    yield name
    real.kube.kubectl("delete", "namespace", name, "--wait=false", check=False)
