"""The operator freezes what its startup made out of the cycle collector
(`controller.collector`): full collections then walk only what came after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from kairflow.controller.collector import freeze_startup


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_what_startup_made_is_frozen_and_what_comes_after_is_collected() -> None:
    made_at_startup = [{"cached": i} for i in range(1_000)]
    frozen = freeze_startup()
    assert frozen == gc.get_freeze_count() >= len(made_at_startup)
    tracked = {id(x) for x in gc.get_objects()}
    assert not {id(x) for x in made_at_startup} & tracked

    class Cycle:
        me: object

    later = Cycle()
    later.me = later
    assert id(later) in {id(x) for x in gc.get_objects()}
    del later
    assert gc.collect() >= 1  # a cycle made after startup is still collected
