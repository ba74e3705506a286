"""The operator-wide defaults an Airflow admin sets, on a fake cluster: DAGs paused at
creation (once: never a DAG the operator knew, nor again after an unpause or a
re-apply), and catchup_by_default for a DAG that does not say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.controller.harness import NS, ControllerHarness, utc
from tests.unit.controller.manifests import dag

NOW = utc("2026-03-04T12:30:00Z")
DAILY = {"schedule": "@daily", "startDate": "2026-03-01"}


@pytest.fixture
def pausing() -> Iterator[ControllerHarness]:
    h = ControllerHarness(NOW, dags_are_paused_at_creation=True)
    yield h
    h.close()


def spec_of(h: ControllerHarness, name: str = "etl") -> dict[str, Any]:
    return dict(h.cluster.objects[("dags", NS, name)]["spec"])


def runs(h: ControllerHarness) -> list[str]:
    return sorted(h.cluster.names("dagruns", NS))


def test_a_new_dag_is_paused_once_and_makes_no_run(pausing: ControllerHarness) -> None:
    pausing.apply("dags", dag(**DAILY))
    pausing.settle()
    assert spec_of(pausing)["paused"] is True
    assert runs(pausing) == []
    assert pausing.status("dags", "etl")["pausedAtCreation"] is True
    assert pausing.events.reasons() == ["PausedAtCreation"]
    assert [v for v in pausing.cluster.verbs("patch_spec") if v[1] == "dags"] != []


def test_an_unpaused_dag_is_not_paused_again_by_a_reapply(pausing: ControllerHarness) -> None:
    pausing.apply("dags", dag(**DAILY))
    pausing.settle()
    body = pausing.cluster.objects[("dags", NS, "etl")]
    body["spec"]["paused"] = False  # `kairflow dags unpause`
    pausing.apply("dags", body)
    pausing.settle()
    reapplied = pausing.cluster.objects[("dags", NS, "etl")]
    reapplied["spec"]["description"] = "edited"  # kubectl apply: paused is not its field
    pausing.apply("dags", reapplied)
    pausing.settle()
    assert spec_of(pausing)["paused"] is False
    assert len(runs(pausing)) == 3, "unpaused, it catches up"
    assert pausing.events.reasons().count("PausedAtCreation") == 1


def test_a_dag_the_operator_already_knew_is_never_paused(pausing: ControllerHarness) -> None:
    known = dag(**DAILY)
    known["status"] = {"observedGeneration": 1}  # synced by this operator before
    pausing.apply("dags", known)
    pausing.settle()
    assert spec_of(pausing).get("paused") is not True
    assert len(runs(pausing)) == 3


@pytest.mark.parametrize(
    ("setting", "own", "paused"),
    [
        pytest.param(True, False, False, id="a DAG that says isPausedUponCreation false runs"),
        pytest.param(False, True, True, id="a DAG that says true is paused without the setting"),
        pytest.param(False, None, False, id="without the setting nor its own say, it runs"),
    ],
)
def test_a_dags_own_choice_wins(setting: bool, own: bool | None, paused: bool) -> None:
    h = ControllerHarness(NOW, dags_are_paused_at_creation=setting)
    extra = {} if own is None else {"isPausedUponCreation": own}
    h.apply("dags", dag(**DAILY, **extra))
    h.settle()
    assert bool(spec_of(h).get("paused")) is paused
    assert (runs(h) == []) is paused
    h.close()


def test_an_invalid_new_dag_is_paused_too(pausing: ControllerHarness) -> None:
    pausing.apply("dags", dag(schedule="99 * * * *"))
    pausing.settle()
    assert spec_of(pausing)["paused"] is True
    assert pausing.status("dags", "etl")["conditions"][0]["reason"] == "InvalidDag"


@pytest.mark.parametrize(
    ("setting", "own", "days"),
    [
        pytest.param(True, None, 3, id="catchup by default makes every missed day"),
        pytest.param(False, None, 1, id="catchup_by_default off makes only the latest"),
        pytest.param(False, True, 3, id="a DAG's own catchup wins over the default"),
    ],
)
def test_catchup_by_default(setting: bool, own: bool | None, days: int) -> None:
    h = ControllerHarness(NOW, catchup_by_default=setting)
    extra = {} if own is None else {"catchup": own}
    h.apply("dags", dag(**DAILY, **extra))
    h.settle()
    assert len(runs(h)) == days
    h.close()
