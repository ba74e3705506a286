"""The operator keeps no kopf per-object state (controller/kopf_state.py): safe only
while it registers no change handler, which would then see every event as new."""

from __future__ import annotations

import logging

import pytest

from kairflow.controller.handlers import build_registry
from kairflow.controller.kopf_state import quiet_handler_logs
from kairflow.controller.settings import OperatorSettings


@pytest.mark.parametrize(
    "namespaces", [pytest.param((), id="all namespaces"), pytest.param(("a",), id="a list")]
)
def test_the_operator_registers_event_handlers_only(namespaces: tuple[str, ...]) -> None:
    registry = build_registry(OperatorSettings(namespaces=namespaces))
    assert registry._changing.get_all_handlers() == []
    assert registry._spawning.get_all_handlers() == []
    assert registry._indexing.get_all_handlers() == []
    assert len(registry._watching.get_all_handlers()) >= 6


def test_kopf_logs_a_failed_handler_but_not_every_handler_that_succeeded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_handler_logs()
    objects = logging.getLogger("kopf.objects")
    with caplog.at_level(logging.INFO):  # as kopf.configure() leaves the root logger
        objects.info("Handler 'on_pod' succeeded.")
        objects.error("Handler 'on_pod' failed with an exception. Will ignore.")
    messages = [r.getMessage() for r in caplog.records if r.name == "kopf.objects"]
    assert messages == ["Handler 'on_pod' failed with an exception. Will ignore."]
