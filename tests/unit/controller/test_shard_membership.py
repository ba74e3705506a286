"""Replicas sharing the DAGs (controller.sharding) over an in-memory Lease store and a
fake clock: who syncs what, hand-over when one dies, self-fencing. No I/O, no sleeps."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from kairflow.controller.cache import Key
from kairflow.controller.sharding import Shard
from kairflow.core.sharding import LeaseRecord, LeaseTimes
from kairflow.core.times import kube_micro_time
from tests.unit.controller.harness import ControllerHarness, FakeClock

T0 = datetime(2026, 12, 1, tzinfo=UTC)
TIMES = LeaseTimes(timedelta(seconds=15))
DAGS: list[Key] = [("team", f"dag-{i}") for i in range(12)]


@dataclass
class FakeLeases:
    """One replica's view of a shared {identity: Lease} store, on the group's clock."""

    store: dict[str, LeaseRecord]
    identity: str
    clock: FakeClock
    reachable: bool = True
    acquired: list[datetime] = field(default_factory=list)

    async def acquire(self) -> None:
        self._check()
        now = self.clock()
        self.acquired.append(now)
        stamp = kube_micro_time(now)
        self.store[self.identity] = LeaseRecord(self.identity, stamp, stamp)

    async def renew(self) -> None:
        self._check()
        lease = self.store[self.identity]
        self.store[self.identity] = replace(lease, renewed=kube_micro_time(self.clock()))

    async def members(self) -> list[LeaseRecord]:
        self._check()
        return [lease for _, lease in sorted(self.store.items())]

    async def release(self) -> None:
        self.store[self.identity] = replace(self.store[self.identity], released=True)

    def _check(self) -> None:
        if not self.reachable:
            raise ConnectionError("apiserver unreachable")


class Group:
    def __init__(self, *identities: str) -> None:
        self.clock = FakeClock(T0)
        self.store: dict[str, LeaseRecord] = {}
        self.gained: dict[str, list[Key]] = {i: [] for i in identities}
        self.shards = {i: self._shard(i) for i in identities}

    def _shard(self, identity: str) -> Shard:
        def gained(dags: list[Key], pools: list[Key]) -> None:
            self.gained[identity] += dags

        leases = FakeLeases(self.store, identity, self.clock)
        return Shard(leases, TIMES, self.clock, lambda: DAGS, lambda: [], gained)  # type: ignore[arg-type]

    def leases(self, identity: str) -> FakeLeases:
        leases = self.shards[identity].leases
        assert isinstance(leases, FakeLeases)
        return leases

    def run(self, seconds: float, *polling: str) -> None:
        """Let `seconds` pass, the replicas in `polling` polling every 3 s."""
        end = self.clock.now + timedelta(seconds=seconds)
        while self.clock.now < end:
            for identity in polling:
                asyncio.run(self.shards[identity].poll())
            self.clock.advance(TIMES.renew_every)

    def owned(self, identity: str) -> set[Key]:
        return {key for key in DAGS if self.shards[identity].owns_dag(key)}


def test_two_replicas_split_the_dags_once_they_have_joined() -> None:
    group = Group("a", "b")
    group.run(15, "a", "b")
    assert group.owned("a") == group.owned("b") == set()  # joining: nobody acts yet
    group.run(9, "a", "b")  # polls at 18 and 21: joined at 15, margin over at 20
    a, b = group.owned("a"), group.owned("b")
    assert a | b == set(DAGS)
    assert a & b == set()
    assert a and b, "rendezvous hashing gives each some of 12 DAGs"
    assert sorted(group.gained["a"]) == sorted(a)  # ...and asked for their syncs once


def test_a_survivor_takes_over_a_dead_replicas_dags_only_after_expiry_and_margin() -> None:
    group = Group("a", "b")
    group.run(24, "a", "b")
    b_dags = group.owned("b")
    group.gained["a"].clear()
    group.run(18, "a")  # b is dead: its last renewal was seen up to 3 s before
    assert group.owned("a") & b_dags == set()
    group.run(6, "a")
    assert group.owned("a") == set(DAGS)
    assert sorted(group.gained["a"]) == sorted(b_dags)


def test_a_replica_that_stops_cleanly_hands_over_at_the_next_poll() -> None:
    group = Group("a", "b")
    group.run(21, "a", "b")
    b_dags = group.owned("b")
    asyncio.run(group.shards["b"].stop())
    group.run(3, "a")
    assert group.owned("a") == set(DAGS)
    assert b_dags


def test_a_replica_whose_lease_vanished_unreleased_is_waited_for_as_if_dead() -> None:
    group = Group("a", "b")
    group.run(24, "a", "b")
    b_dags = group.owned("b")
    del group.store["b"]  # kubectl delete lease: b may still be acting
    group.run(15, "a")
    assert group.owned("a") & b_dags == set()
    group.run(9, "a")
    assert group.owned("a") == set(DAGS)


def test_a_replica_that_cannot_renew_fences_itself_before_the_others_take_over() -> None:
    group = Group("a", "b")
    group.run(21, "a", "b")
    a_dags = group.owned("a")
    group.leases("a").reachable = False
    fenced_after = None
    for step in range(8):
        group.run(3, "a", "b")
        if fenced_after is None and not group.owned("a"):
            fenced_after = step
        assert not group.owned("a") & group.owned("b"), "never both at once"
    assert fenced_after is not None and fenced_after < 4  # within the 10 s deadline
    assert group.owned("b") == set(DAGS)
    assert a_dags


def test_a_fenced_replica_that_comes_back_rejoins_as_a_newcomer() -> None:
    group = Group("a", "b")
    group.run(21, "a", "b")
    group.leases("a").reachable = False
    group.run(12, "a", "b")
    group.leases("a").reachable = True
    group.run(3, "a", "b")
    assert len(group.leases("a").acquired) == 2  # acquired anew, not just renewed
    assert group.owned("a") == set()  # b may still act on a's DAGs: a waits to rejoin
    group.run(21, "a", "b")
    assert group.owned("a") and group.owned("a") | group.owned("b") == set(DAGS)
    assert not group.owned("a") & group.owned("b")


@pytest.fixture
def harness() -> ControllerHarness:
    return ControllerHarness(T0)


class OwnsOnly:
    """A stand-in for `Shard`: owns the DAGs (and Pools) it was given."""

    def __init__(self, dags: set[Key]) -> None:
        self.dags = dags

    def owns_dag(self, key: Key) -> bool:
        return key in self.dags

    def owns_pool(self, key: Key) -> bool:
        return key in self.dags


@pytest.mark.parametrize(
    ("kind", "key", "acts"),
    [
        pytest.param("dag", ("team", "mine"), True, id="a replica syncs a DAG it owns"),
        pytest.param("dag", ("team", "theirs"), False, id="a replica skips a DAG it does not own"),
        pytest.param("dagrun", ("team", "mine-run"), True, id="a run goes with its DAG"),
        pytest.param("dagrun", ("team", "theirs-run"), False, id="another's run is skipped"),
        pytest.param("dagrun", ("team", "gone"), False, id="an unknown run is skipped"),
        pytest.param("backfill", ("team", "mine-fill"), True, id="a Backfill goes with its DAG"),
        pytest.param("backfill", ("team", "theirs-fill"), False, id="another's Backfill too"),
        pytest.param("pool", ("team", "mine"), True, id="a Pool is owned like a DAG"),
    ],
)  # fmt: skip
def test_a_sharded_replica_syncs_only_what_belongs_to_its_dags(
    harness: ControllerHarness, kind: str, key: Key, acts: bool
) -> None:
    rt = harness.runtime
    for dag in ("mine", "theirs"):
        run = {
            "metadata": {"name": f"{dag}-run", "namespace": "team", "resourceVersion": "1"},
            "spec": {"dagName": dag, "runType": "manual", "logicalDate": "2026-01-01T00:00:00Z"},
        }
        rt.cache.put_run(run)
        rt.cache.put_backfill(
            {"metadata": {"name": f"{dag}-fill", "namespace": "team", "resourceVersion": "1"},
             "spec": {"dagName": dag}}
        )  # fmt: skip
    assert rt.acts_on(kind, key)  # not sharded: everything
    rt.shard = OwnsOnly({("team", "mine")})  # type: ignore[assignment]
    assert rt.acts_on(kind, key) is acts


def test_a_replica_taking_over_a_dag_syncs_it_its_runs_and_backfills(
    harness: ControllerHarness,
) -> None:
    rt = harness.runtime
    rt.cache.put_run(
        {"metadata": {"name": "etl-run", "namespace": "team", "resourceVersion": "1"},
         "spec": {"dagName": "etl", "runType": "manual", "logicalDate": "2026-01-01T00:00:00Z"}}
    )  # fmt: skip
    rt.cache.put_backfill(
        {"metadata": {"name": "etl-fill", "namespace": "team", "resourceVersion": "1"},
         "spec": {"dagName": "etl"}}
    )  # fmt: skip
    rt.take_over([("team", "etl")], [("team", "db")])
    assert rt.dag_queue.take() == [("team", "etl")]  # type: ignore[union-attr]
    assert rt.run_queue.take() == [("team", "etl-run")]  # type: ignore[union-attr]
    assert rt.backfill_queue.take() == [("team", "etl-fill")]  # type: ignore[union-attr]
    assert rt.pool_queue.take() == [("team", "db")]  # type: ignore[union-attr]
