"""The operator keeps no kopf per-object state (controller/kopf_state.py): safe only
while it registers no change handler, which would then see every event as new."""

from __future__ import annotations

import pytest

from kairflow.controller.handlers import build_registry
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
