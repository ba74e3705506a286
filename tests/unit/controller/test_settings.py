"""Operator settings from KAIRFLOW_* variables: parsed, checked with a clear error,
and every one of them documented in the README and settable through the chart."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from kairflow.controller.settings import OperatorSettings

ROOT = Path(__file__).resolve().parents[3]


def test_every_variable_is_parsed() -> None:
    settings = OperatorSettings.from_env(
        {
            "KAIRFLOW_NAMESPACES": "team-a, team-b",
            "KAIRFLOW_PARALLELISM": "4",
            "KAIRFLOW_POOLS": "db=2,api=5",
            "KAIRFLOW_DEFAULT_IMAGE": "busybox:1.36",
            "KAIRFLOW_STARTUP_TIMEOUT": "90s",
            "KAIRFLOW_SUCCESS_HISTORY": "3",
            "KAIRFLOW_FAILED_HISTORY": "7",
            "KAIRFLOW_RUN_TTL": "7d",
            "KAIRFLOW_POD_CLEANUP": "succeeded",
            "KAIRFLOW_METRICS_PORT": "0",
            "KAIRFLOW_LIVENESS_PORT": "8081",
            "KAIRFLOW_WORKERS": "2",
            "KAIRFLOW_PEERING": "blue",
            "KAIRFLOW_STANDBY": "true",
            "KAIRFLOW_API_PARALLELISM": "16",
            "KAIRFLOW_API_QPS": "50.5",
            "KAIRFLOW_API_BURST": "100",
        }
    )
    assert settings == OperatorSettings(
        namespaces=("team-a", "team-b"),
        parallelism=4,
        pools={"db": 2, "api": 5},
        default_image="busybox:1.36",
        startup_timeout=timedelta(seconds=90),
        successful_runs_history=3,
        failed_runs_history=7,
        run_ttl=timedelta(days=7),
        pod_cleanup="succeeded",
        metrics_port=0,
        liveness_port=8081,
        workers=2,
        peering="blue",
        standby=True,
        api_parallelism=16,
        api_qps=50.5,
        api_burst=100,
    )
    assert settings.pool_slots()["default_pool"] == 128


def test_the_shard_variables_are_parsed() -> None:
    settings = OperatorSettings.from_env(
        {
            "KAIRFLOW_SHARDS": "on",
            "KAIRFLOW_SHARD_IDENTITY": "kairflow-shard-7d9-x2",
            "KAIRFLOW_SHARD_NAMESPACE": "ops",
            "KAIRFLOW_SHARD_LEASE_DURATION": "30s",
            "KAIRFLOW_SHARD_POD_UID": "0b5e-uid",
        }
    )
    assert settings == OperatorSettings(
        shards=True,
        shard_identity="kairflow-shard-7d9-x2",
        shard_namespace="ops",
        shard_lease_duration=timedelta(seconds=30),
        shard_pod_uid="0b5e-uid",
    )
    assert (settings.shard_identity_or_host, settings.shard_lease_namespace) == (
        "kairflow-shard-7d9-x2",
        "ops",
    )


@pytest.mark.parametrize(
    ("env", "namespace"),
    [
        pytest.param({}, "default", id="an operator of all namespaces keeps Leases in default"),
        pytest.param({"KAIRFLOW_NAMESPACES": "team-a,team-b"}, "team-a",
                     id="an operator of some namespaces keeps them in the first"),
    ],
)  # fmt: skip
def test_where_shard_leases_live_by_default(env: dict[str, str], namespace: str) -> None:
    assert OperatorSettings.from_env(env).shard_lease_namespace == namespace


def test_flags_win_over_variables_and_empty_variables_are_unset() -> None:
    settings = OperatorSettings.from_env(
        {"KAIRFLOW_PARALLELISM": "4", "KAIRFLOW_RUN_TTL": ""}, parallelism=9, workers=None
    )
    assert (settings.parallelism, settings.run_ttl, settings.workers) == (9, None, 8)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KAIRFLOW_PARALLELISM", "many", "KAIRFLOW_PARALLELISM='many': use a whole number"),
        ("KAIRFLOW_POOLS", "db", "KAIRFLOW_POOLS='db': invalid pool 'db'"),
        ("KAIRFLOW_RUN_TTL", "soon", "KAIRFLOW_RUN_TTL='soon': invalid duration"),
        ("KAIRFLOW_POD_CLEANUP", "sometimes", "pod cleanup 'sometimes': use never"),
        ("KAIRFLOW_API_QPS", "fast", "KAIRFLOW_API_QPS='fast': use a number of requests a second"),
        (
            "KAIRFLOW_API_QPS",
            "-5",
            "KAIRFLOW_API_QPS='-5': use 0 for no limit, or a positive number",
        ),
        ("KAIRFLOW_SHARDS", "maybe", "KAIRFLOW_SHARDS='maybe': use true or false, on or off"),
        ("KAIRFLOW_SHARD_LEASE_DURATION", "1s", "a shard Lease lasts at least 3s"),
        ("KAIRFLOW_MAP_WINDOW", "0", "KAIRFLOW_MAP_WINDOW=0: a mapped task needs at least 1"),
        (
            "KAIRFLOW_API_QPS",
            "nan",
            "KAIRFLOW_API_QPS='nan': use 0 for no limit, or a positive number",
        ),
    ],
)
def test_a_bad_value_is_a_clear_error(variable: str, value: str, says: str) -> None:
    with pytest.raises(ValueError, match="^" + says.replace("(", r"\(")) as caught:
        OperatorSettings.from_env({variable: value})
    assert "Traceback" not in str(caught.value)


def test_shards_and_standby_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="shards and standby exclude each other"):
        OperatorSettings.from_env({"KAIRFLOW_SHARDS": "on", "KAIRFLOW_STANDBY": "true"})


def test_every_variable_is_documented_and_in_the_chart() -> None:
    readme = (ROOT / "README.md").read_text()
    chart = (ROOT / "charts/kairflow/templates/deployment.yaml").read_text()
    variables = [item.metadata["env"] for item in fields(OperatorSettings)]
    assert [v for v in variables if f"`{v}`" not in readme] == []
    # The chart passes namespaces and standby as flags (--namespace, --standby) and
    # leaves workers at its default; every other setting is a chart value.
    passed = {"KAIRFLOW_NAMESPACES", "KAIRFLOW_WORKERS", "KAIRFLOW_STANDBY"}
    assert [v for v in variables if v not in passed and v not in chart] == []
