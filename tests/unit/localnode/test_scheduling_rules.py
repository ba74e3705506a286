"""The node agent's pure rules, table-driven (no cluster needed): which pods it
binds and in what order, the kubelet's pod phase, `$(VAR)` expansion, log tails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kairflow.localnode.containers import cut
from kairflow.localnode.env import expand
from kairflow.localnode.logs_server import tail_offset
from kairflow.localnode.pod_status import phase
from kairflow.localnode.scheduling import claimable, place

OURS = frozenset({"kairflow-localnode"})
WITH_DEFAULT = frozenset({"kairflow-localnode", "default-scheduler"})


def _pod(name: str, created: str = "2026-01-01T00:00:00Z", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "creationTimestamp": created, "uid": name},
        "spec": spec,
        "status": {"phase": "Pending"},
    }


@pytest.mark.parametrize(
    ("spec", "schedulers", "namespaces", "expected"),
    [
        pytest.param({"schedulerName": "kairflow-localnode"}, OURS, (), True, id="ours"),
        pytest.param({"schedulerName": "default-scheduler"}, OURS, (), False, id="default: no"),
        pytest.param({}, WITH_DEFAULT, (), True, id="no name is default, claimed"),
        pytest.param(
            {"schedulerName": "some-other-scheduler"}, WITH_DEFAULT, (), False, id="other"
        ),
        pytest.param(
            {"schedulerName": "kairflow-localnode", "nodeName": "x"}, OURS, (), False, id="bound"
        ),
        pytest.param({"schedulerName": "kairflow-localnode"}, OURS, ("a",), False, id="namespace"),
    ],
)
def test_which_pending_pods_the_agent_binds(
    spec: dict[str, Any], schedulers: frozenset[str], namespaces: tuple[str, ...], expected: bool
) -> None:
    assert claimable(_pod("p", **spec), schedulers, namespaces) is expected


def test_slots_go_to_assigned_pods_first_then_the_oldest() -> None:
    assigned = [_pod("mine", "2026-01-03T00:00:00Z")]
    unbound = [_pod("new", "2026-01-02T00:00:00Z"), _pod("old", "2026-01-01T00:00:00Z")]
    placement = place(assigned, unbound, free=2)
    assert [p["metadata"]["name"] for p in placement.start] == ["mine"]
    assert [p["metadata"]["name"] for p in placement.bind] == ["old"]
    assert [p["metadata"]["name"] for p in placement.waiting] == ["new"]
    assert place(assigned, unbound, free=-1).start == []


RUN = {"state": {"running": {}}}
OK = {"state": {"terminated": {"exitCode": 0}}}
BAD = {"state": {"terminated": {"exitCode": 2}}}
WAIT = {"state": {"waiting": {"reason": "ContainerCreating"}}}
BACKOFF = {"state": {"waiting": {}}, "lastState": {"terminated": {"exitCode": 1}}}


@pytest.mark.parametrize(
    ("policy", "init", "containers", "expected"),
    [
        pytest.param("Never", [], [WAIT], "Pending", id="not started"),
        pytest.param("Never", [], [RUN, WAIT], "Pending", id="one still waiting"),
        pytest.param("Never", [], [RUN, OK], "Running", id="one runs"),
        pytest.param("Never", [], [OK, OK], "Succeeded", id="all succeeded"),
        pytest.param("Never", [], [OK, BAD], "Failed", id="one failed"),
        pytest.param("OnFailure", [], [OK, BAD], "Running", id="on failure restarts"),
        pytest.param("OnFailure", [], [BACKOFF], "Running", id="in back-off"),
        pytest.param("Always", [], [OK], "Running", id="always restarts"),
        pytest.param("Never", [RUN], [WAIT], "Pending", id="init running"),
        pytest.param("Never", [BAD], [WAIT], "Failed", id="init failed, never"),
        pytest.param("OnFailure", [BAD], [WAIT], "Pending", id="init failed, retried"),
        pytest.param("Never", [OK], [RUN], "Running", id="init done"),
    ],
)
def test_pod_phase_follows_the_kubelet(
    policy: str, init: list[Any], containers: list[Any], expected: str
) -> None:
    assert phase(policy, init, containers) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(A)-$(B)", "1-two"),
        ("$$(A)", "$(A)"),
        ("$(MISSING)", "$(MISSING)"),
        ("$(A", "$(A"),
        ("cost: $5 $", "cost: $5 $"),
        ("echo $$ $(date)", "echo $ $(date)"),
    ],
)
def test_variable_references_expand_like_kubernetes(text: str, expected: str) -> None:
    assert expand(text, {"A": "1", "B": "two"}) == expected


@pytest.mark.parametrize(
    ("content", "lines", "expected"),
    [
        (b"a\nb\nc\n", 1, b"c\n"),
        (b"a\nb\nc\n", 2, b"b\nc\n"),
        (b"a\nb\nc", 1, b"c"),
        (b"a\nb\nc\n", 10, b"a\nb\nc\n"),
        (b"a\nb\n", 0, b""),
    ],
)
def test_tail_lines(tmp_path: Path, content: bytes, lines: int, expected: bytes) -> None:
    path = tmp_path / "log"
    path.write_bytes(content)
    assert content[tail_offset(path, lines) :] == expected


def test_termination_messages_are_cut_at_4096_bytes_never_mid_character() -> None:
    assert cut("x" * 5000) == "x" * 4096
    assert cut("é" * 3000).encode() == ("é" * 2048).encode()
