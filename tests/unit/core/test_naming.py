"""Deterministic names: DagRuns, run ids, pods, label values, task instance keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kairflow.api.dag import TASK_NAME_PATTERN
from kairflow.core.naming import (
    dagrun_name,
    label_value,
    pod_name,
    run_id,
    stable_hash,
    ti_key,
)
from tests.hypothesis_profiles import examples

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
KST = timezone(timedelta(hours=9))
RUN = "sample-dag-scheduled-20201231t150000"


@pytest.mark.parametrize(
    ("dag", "run_type", "logical_date", "expected"),
    [
        pytest.param(
            "sample-dag",
            "scheduled",
            datetime(2020, 12, 31, 15, tzinfo=UTC),
            "sample-dag-scheduled-20201231t150000",
            id="a scheduled run is named by its dag, type and UTC logical date",
        ),
        pytest.param(
            "sample-dag",
            "manual",
            datetime(2021, 1, 1, 9, 30, 5, tzinfo=KST),
            "sample-dag-manual-20210101t003005",
            id="a logical date with an offset is named in UTC",
        ),
        pytest.param(
            "sample-dag",
            "manual",
            datetime(2021, 1, 1, 0, 0, 0, 123, tzinfo=UTC),
            "sample-dag-manual-20210101t000000-000123",
            id="microseconds are appended only when they are not zero",
        ),
        pytest.param(
            "etl.v2",
            "backfill",
            datetime(2021, 1, 1, tzinfo=UTC),
            "etl.v2-backfill-20210101t000000",
            id="a dag name with dots is already a valid subdomain and is kept",
        ),
        pytest.param(
            "Sample_Dag",
            "scheduled",
            datetime(2020, 12, 31, 15, tzinfo=UTC),
            "sample-dag-lvlkugnh-scheduled-20201231t150000",
            id="a dag name that is not a valid subdomain is cleaned and gets a hash",
        ),
        pytest.param(
            "sample-dag",
            "Scheduled",
            datetime(2020, 12, 31, 15, tzinfo=UTC),
            "sample-dag-nhflqxhk-scheduled-20201231t150000",
            id="an upper-case run type is lowered with a hash",
        ),
        pytest.param(
            "x" * 240,
            "manual",
            datetime(2020, 12, 31, 15, tzinfo=UTC),
            "x" * 221 + "-acnjzqcd-manual-20201231t150000",
            id="a dag name too long for 253 characters is cut with a hash before the date",
        ),
    ],
)
def test_dagrun_name(dag: str, run_type: str, logical_date: datetime, expected: str) -> None:
    name = dagrun_name(dag, run_type, logical_date)
    assert name == expected
    assert len(name) <= 253
    assert DNS_SUBDOMAIN.fullmatch(name)


@pytest.mark.parametrize(
    ("run_type", "logical_date", "expected"),
    [
        pytest.param(
            "scheduled",
            datetime(2021, 1, 1, tzinfo=UTC),
            "scheduled__2021-01-01T00:00:00+00:00",
            id="a scheduled run id is Airflow's",
        ),
        pytest.param(
            "manual",
            datetime(2021, 1, 1, 9, tzinfo=KST),
            "manual__2021-01-01T00:00:00+00:00",
            id="the run id's date is in UTC",
        ),
        pytest.param(
            "backfill",
            datetime(2021, 1, 1, 0, 0, 0, 500, tzinfo=UTC),
            "backfill__2021-01-01T00:00:00.000500+00:00",
            id="microseconds are kept as isoformat writes them",
        ),
    ],
)
def test_run_id(run_type: str, logical_date: datetime, expected: str) -> None:
    assert run_id(run_type, logical_date) == expected


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: dagrun_name("d", "manual", datetime(2021, 1, 1)), id="dagrun name"),
        pytest.param(lambda: run_id("manual", datetime(2021, 1, 1)), id="run id"),
    ],
)
def test_naive_logical_dates_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("dagrun", "task", "try_number", "map_index", "poke", "expected"),
    [
        pytest.param(
            RUN, "first", 1, None, None, f"{RUN}-first-1", id="a plain task is dagrun-task-try"
        ),
        pytest.param(
            RUN, "task", 1, 0, None, f"{RUN}-task-0-1", id="a mapped instance adds its index"
        ),
        pytest.param(
            RUN,
            "task-0",
            3,
            2,
            None,
            f"{RUN}-task-0-2-3",
            id="a mapped task whose name ends in digits stays readable",
        ),
        pytest.param(
            RUN,
            "wait",
            1,
            None,
            2,
            f"{RUN}-wait-1-poke2",
            id="a reschedule sensor's later poke adds poke-n",
        ),
        pytest.param(
            RUN,
            "wait",
            1,
            4,
            3,
            f"{RUN}-wait-4-1-poke3",
            id="a mapped sensor's poke keeps index then try then poke",
        ),
        pytest.param(
            RUN,
            "task_0",
            1,
            None,
            None,
            f"{RUN}-task-0-1-gacswvnb",
            id="an underscore becomes a dash and adds a hash",
        ),
        pytest.param(
            RUN,
            "task-0",
            1,
            None,
            None,
            f"{RUN}-task-0-1-qsaqaone",
            id="an unmapped name ending in digits gets a hash so it never meets a mapped one",
        ),
        pytest.param(
            RUN,
            "Task0",
            1,
            None,
            None,
            f"{RUN}-task0-1-erdvxezk",
            id="upper case is lowered and adds a hash",
        ),
        pytest.param(
            RUN,
            "extract.load",
            2,
            None,
            None,
            f"{RUN}-extract-load-2-cxhnepvu",
            id="a dot becomes a dash and adds a hash",
        ),
        pytest.param(
            RUN,
            "step-20210101t000000-x",
            1,
            None,
            None,
            "sample-dag-scheduled-20201231-step-20210101t000000-x-1-thijoyui",
            id="a task name with a dagrun-date segment gets a hash",
        ),
        pytest.param(
            RUN,
            "a" * 40,
            12,
            None,
            None,
            "sample-dag-scheduled-2020-" + "a" * 25 + "-12-ahdbbxzz",
            id="a long name is cut to 63 keeping the try and half for the task",
        ),
        pytest.param(
            RUN,
            "a" * 40,
            12,
            7,
            3,
            "sample-dag-scheduled-" + "a" * 21 + "-7-12-poke3-jajpphqh",
            id="a long mapped poke keeps index try and poke whole",
        ),
        pytest.param(
            "sample.dag-scheduled-20201231t150000",
            "first",
            1,
            None,
            None,
            "sample-dag-scheduled-20201231t150000-first-1-rqfehiha",
            id="a dagrun name with a dot adds a hash",
        ),
        pytest.param(
            "x" * 80,
            "first",
            1,
            None,
            None,
            "x" * 46 + "-first-1-cjkuknso",
            id="a long dagrun name is cut before a short task name",
        ),
    ],
)
def test_pod_name(
    dagrun: str, task: str, try_number: int, map_index: int | None, poke: int | None, expected: str
) -> None:
    name = pod_name(dagrun, task, try_number, map_index, poke)
    assert name == expected
    assert len(name) <= 63
    assert DNS_LABEL.fullmatch(name)


def test_task_0_and_task_dash_0_get_different_pods() -> None:
    assert pod_name(RUN, "task_0", 1) != pod_name(RUN, "task-0", 1)


def test_an_unmapped_task_never_takes_a_mapped_instances_pod() -> None:
    assert pod_name(RUN, "a-1", 2) != pod_name(RUN, "a", 2, map_index=1)


@pytest.mark.parametrize(
    ("try_number", "map_index", "poke", "message"),
    [
        pytest.param(-1, None, None, "try_number", id="a negative try number is refused"),
        pytest.param(1, -1, None, "map_index", id="a negative map index is refused"),
        pytest.param(1, None, 0, "poke", id="poke zero is refused (pokes count from 1)"),
    ],
)
def test_pod_name_refuses_negative_numbers(
    try_number: int, map_index: int | None, poke: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pod_name(RUN, "t", try_number, map_index, poke)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("sample-dag", "sample-dag", id="a valid value is unchanged"),
        pytest.param("Ab.c_d-E", "Ab.c_d-E", id="upper case dots and underscores are valid"),
        pytest.param("", "", id="the empty value is valid"),
        pytest.param("x" * 63, "x" * 63, id="63 characters fit"),
        pytest.param("x" * 64, "x" * 54 + "-tbxchoxa", id="64 characters are cut with a hash"),
        pytest.param("a b", "a-b-zlmxuqby", id="a space becomes a dash with a hash"),
        pytest.param("_a_", "a-ehjamkqe", id="edges that are not alphanumeric are stripped"),
        pytest.param("---", "jnncxtoa", id="nothing usable leaves the hash alone"),
    ],
)
def test_label_value(text: str, expected: str) -> None:
    value = label_value(text)
    assert value == expected
    assert len(value) <= 63
    assert LABEL_VALUE.fullmatch(value)


@pytest.mark.parametrize(
    ("task", "map_index", "expected"),
    [
        pytest.param("extract", None, "extract", id="an unmapped instance is keyed by its name"),
        pytest.param("extract", 0, "extract[0]", id="a mapped instance adds its index"),
        pytest.param("task_0", 12, "task_0[12]", id="the name is kept as written"),
    ],
)
def test_ti_key(task: str, map_index: int | None, expected: str) -> None:
    assert ti_key(task, map_index) == expected


def test_stable_hash_is_pinned_so_names_never_change_between_releases() -> None:
    # Changing these values renames every hashed pod: running pods would be orphaned
    # and created again. Do not change them.
    assert stable_hash("a") == "sukcffxk"
    assert stable_hash("pod", "a") == "ephpssel"


# ----------------------------------------------------------------------------------
# Properties. Small alphabets make near-collisions (task_0 / task-0 / Task-0) likely.

task_names = st.from_regex(r"[aAb0_.\-]{1,3}|[a0][aA0_.\-]{0,70}[a0]", fullmatch=True).filter(
    lambda name: re.fullmatch(TASK_NAME_PATTERN, name) is not None
)
dag_names = st.from_regex(r"[a0]([a0.\-]{0,6}[a0])?|[a0]{1,240}", fullmatch=True).filter(
    lambda name: DNS_SUBDOMAIN.fullmatch(name) is not None
)
run_types = st.sampled_from(["scheduled", "manual", "backfill"])
dates = st.builds(
    datetime,
    year=st.just(2021),
    month=st.just(1),
    day=st.integers(1, 2),
    hour=st.integers(0, 1),
    microsecond=st.sampled_from([0, 1, 120]),
    tzinfo=st.just(UTC),
)
tries = st.integers(0, 12)
indexes = st.none() | st.integers(0, 12)
pokes = st.none() | st.integers(1, 3)
pod_identity = st.tuples(dag_names, run_types, dates, task_names, tries, indexes, pokes)


def _pod(identity: tuple[str, str, datetime, str, int, int | None, int | None]) -> str:
    dag, run_type, when, task, try_number, map_index, poke = identity
    return pod_name(dagrun_name(dag, run_type, when), task, try_number, map_index, poke)


@settings(max_examples=examples(400))
@given(pod_identity)
def test_pod_names_are_always_valid_labels(
    identity: tuple[str, str, datetime, str, int, int | None, int | None],
) -> None:
    name = _pod(identity)
    assert len(name) <= 63
    assert DNS_LABEL.fullmatch(name)


@settings(max_examples=examples(400))
@given(pod_identity, pod_identity)
def test_different_task_instances_never_share_a_pod_name(
    first: tuple[str, str, datetime, str, int, int | None, int | None],
    second: tuple[str, str, datetime, str, int, int | None, int | None],
) -> None:
    if first != second:
        assert _pod(first) != _pod(second)


@settings(max_examples=examples(400))
@given(
    st.tuples(task_names, tries, indexes, pokes),
    st.tuples(task_names, tries, indexes, pokes),
)
def test_inside_one_run_different_task_instances_never_share_a_pod_name(
    first: tuple[str, int, int | None, int | None],
    second: tuple[str, int, int | None, int | None],
) -> None:
    if first != second:
        assert pod_name(RUN, *first) != pod_name(RUN, *second)


@settings(max_examples=examples(300))
@given(st.tuples(dag_names, run_types, dates), st.tuples(dag_names, run_types, dates))
def test_dagrun_names_are_valid_and_injective(
    first: tuple[str, str, datetime], second: tuple[str, str, datetime]
) -> None:
    name = dagrun_name(*first)
    assert len(name) <= 253
    assert DNS_SUBDOMAIN.fullmatch(name)
    if first != second:
        assert name != dagrun_name(*second)


@settings(max_examples=examples(300))
@given(st.text(alphabet="aA0_.- é", max_size=80), st.text(alphabet="aA0_.- é", max_size=80))
def test_label_values_are_valid_and_injective(first: str, second: str) -> None:
    value = label_value(first)
    assert len(value) <= 63
    assert LABEL_VALUE.fullmatch(value)
    if first != second:
        assert value != label_value(second)
