"""Who owns which DAG among operator replicas (core.sharding), on an injected clock.

Lease duration 15 s throughout: renew every 3 s, fence after 10 s without a renewal,
hand over 5 s after a view changes, newcomers own nothing for 15 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kairflow.core.sharding import (
    LeaseRecord,
    LeaseTimes,
    Member,
    dag_shard_key,
    eligible,
    expired,
    fenced,
    may_act,
    next_change,
    observe,
    owner_at,
    rendezvous_owner,
    renewed_by_me,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
TIMES = LeaseTimes(timedelta(seconds=15))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def member(identity: str, seen: float, renewed: float, acquired: str = "a1") -> Member:
    return Member(identity, acquired, f"r{renewed}", at(seen), at(renewed))


def key_owned_by(owner: str, among: list[str]) -> str:
    """A DAG key that rendezvous hashing gives to `owner` among `among`."""
    for i in range(1000):
        key = dag_shard_key("team", f"dag-{i}")
        if rendezvous_owner(key, among) == owner:
            return key
    raise AssertionError(f"no key for {owner}")


B_OVER_A = key_owned_by("b", ["a", "b"])  # goes to a when b is gone
C_OVER_A = key_owned_by("c", ["a", "c"])
A_OVER_B = key_owned_by("a", ["a", "b"])


@pytest.mark.parametrize(
    ("me", "key", "members", "now", "acts"),
    [
        pytest.param("a", A_OVER_B, [member("a", 0, 19)], 20, True,
                     id="a lone member acts on every DAG once it has joined and a margin passed"),
        pytest.param("a", A_OVER_B, [member("a", 0, 9)], 10, False,
                     id="a newcomer acts on nothing during its join delay"),
        pytest.param("a", A_OVER_B, [member("a", 0, 17)], 17, False,
                     id="a newcomer waits a margin after its join delay too"),
        pytest.param("a", A_OVER_B, [member("a", 0, 30)], 40, False,
                     id="a member that has not renewed within the deadline fences itself"),
        pytest.param("a", A_OVER_B, [member("a", 0, 30)], 39, True,
                     id="a member that renewed within the deadline keeps acting"),
        pytest.param("b", A_OVER_B, [member("a", 0, 99), member("b", 0, 99)], 100, False,
                     id="a member leaves another member's DAG alone"),
        pytest.param("b", B_OVER_A, [member("a", 0, 99), member("b", 0, 99)], 100, True,
                     id="a member acts on the DAGs it wins"),
        pytest.param("a", B_OVER_A, [member("a", 0, 113), member("b", 0, 100)], 114, False,
                     id="a survivor waits while the other's Lease has not expired"),
        pytest.param("a", B_OVER_A, [member("a", 0, 118), member("b", 0, 100)], 118, False,
                     id="a survivor waits a margin after the other's Lease expired"),
        pytest.param("a", B_OVER_A, [member("a", 0, 120), member("b", 0, 100)], 120, True,
                     id="a survivor takes over a dead member's DAG after expiry and margin"),
        pytest.param("a", A_OVER_B, [member("a", 0, 118), member("b", 0, 100)], 118, True,
                     id="a survivor keeps its own DAGs while the other dies"),
        pytest.param("a", B_OVER_A, [member("a", 0, 100)], 100, True,
                     id="a member that released its Lease on a clean stop hands over at once"),
        pytest.param("a", C_OVER_A, [member("a", 0, 114), member("c", 100, 114)], 114, True,
                     id="the old owner keeps a DAG while the newcomer has not joined"),
        pytest.param("a", C_OVER_A, [member("a", 0, 115), member("c", 100, 115)], 115, False,
                     id="the old owner stops the moment the newcomer has joined"),
        pytest.param("c", C_OVER_A, [member("a", 0, 119), member("c", 100, 119)], 119, False,
                     id="the newcomer waits a margin after joining before it acts"),
        pytest.param("c", C_OVER_A, [member("a", 0, 120), member("c", 100, 120)], 120, True,
                     id="the newcomer acts once it has owned the DAG for a margin"),
        pytest.param("a", C_OVER_A, [member("a", 0, 120), member("c", 100, 120, "a2")], 120, False,
                     id="the old owner leaves alone a DAG of a newcomer that restarted"),
    ],
)  # fmt: skip
def test_who_may_act_on_a_dag(
    me: str, key: str, members: list[Member], now: float, acts: bool
) -> None:
    found = {m.identity: m for m in members}
    assert may_act(me, key, found, TIMES, at(now)) is acts


KNOWN_A = Member("a", "a1", "r1", at(0), at(10))


@pytest.mark.parametrize(
    ("leases", "now", "expected"),
    [
        pytest.param([LeaseRecord("a", "a1", "r1")], 50,
                     {"a": KNOWN_A}, id="an unchanged Lease keeps what was seen"),
        pytest.param([LeaseRecord("a", "a1", "r2")], 50,
                     {"a": Member("a", "a1", "r2", at(0), at(50))},
                     id="a renewed Lease is seen renewed now"),
        pytest.param([LeaseRecord("a", "a2", "r2")], 50,
                     {"a": Member("a", "a2", "r2", at(50), at(50))},
                     id="a Lease acquired anew is a new member, seen from now"),
        pytest.param([LeaseRecord("a", "a1", "r1", released=True)], 11, {},
                     id="a released Lease is a member gone at once"),
        pytest.param([], 29, {"a": KNOWN_A},
                     id="a Lease deleted unreleased is a member kept until it would expire"),
        pytest.param([], 30, {}, id="...and dropped once expired plus the margin"),
        pytest.param([LeaseRecord("a", "a1", "r1"), LeaseRecord("b", "b1", "r1")], 50,
                     {"a": KNOWN_A, "b": Member("b", "b1", "r1", at(50), at(50))},
                     id="a Lease never seen before is a member seen from now"),
    ],
)  # fmt: skip
def test_observing_leases(
    leases: list[LeaseRecord], now: float, expected: dict[str, Member]
) -> None:
    assert observe({"a": KNOWN_A}, leases, TIMES, at(now)) == expected


def test_my_renewal_counts_from_when_i_sent_it() -> None:
    members = {"a": member("a", 0, 50), "b": member("b", 0, 50)}
    mine = renewed_by_me(members, "a", at(48))
    assert mine["a"].renewal_seen_at == at(48)
    assert mine["b"] == members["b"]
    assert renewed_by_me({}, "a", at(48)) == {}


@pytest.mark.parametrize(
    ("member_", "now", "is_expired", "is_fenced"),
    [
        pytest.param(member("a", 0, 10), 19, False, False, id="renewed 9 s ago: live, acting"),
        pytest.param(member("a", 0, 10), 20, False, True,
                     id="renewed 10 s ago: live to the others, but fenced"),
        pytest.param(member("a", 0, 10), 25, True, True, id="renewed 15 s ago: expired"),
    ],
)  # fmt: skip
def test_a_lease_expires_after_its_duration_and_fences_before(
    member_: Member, now: float, is_expired: bool, is_fenced: bool
) -> None:
    assert expired(member_, TIMES, at(now)) is is_expired
    assert fenced("a", {"a": member_}, TIMES, at(now)) is is_fenced


def test_a_member_not_in_the_list_is_fenced() -> None:
    assert fenced("a", {"b": member("b", 0, 10)}, TIMES, at(11))


def test_eligible_members_have_joined_and_not_expired() -> None:
    members = [member("a", 0, 100), member("b", 95, 100), member("c", 0, 80)]
    assert eligible(members, TIMES, at(101)) == ["a"]
    assert eligible(members, TIMES, at(110)) == ["a", "b"]
    assert owner_at("team/x", [], TIMES, at(1)) is None


def test_removing_a_member_moves_only_its_dags() -> None:
    keys = [dag_shard_key("team", f"dag-{i}") for i in range(300)]
    before = {k: rendezvous_owner(k, ["a", "b", "c"]) for k in keys}
    after = {k: rendezvous_owner(k, ["a", "c"]) for k in keys}
    moved = {k for k in keys if before[k] != after[k]}
    assert moved == {k for k in keys if before[k] == "b"}
    shares = [list(before.values()).count(m) for m in "abc"]
    assert min(shares) > 60, shares  # roughly a third each


@pytest.mark.parametrize(
    ("members", "now", "expected"),
    [
        pytest.param([member("a", 0, 0)], 0, 10,
                     id="a newcomer fences itself next unless it renews"),
        pytest.param([member("a", 0, 14)], 14, 15, id="a newcomer's next change is its joining"),
        pytest.param([member("a", 0, 19)], 19, 20, id="then the end of its margin"),
        pytest.param([member("a", 0, 30), member("b", 0, 25)], 30, 35,
                     id="a survivor re-checks when the other would have fenced itself"),
    ],
)  # fmt: skip
def test_when_ownership_can_next_change(members: list[Member], now: float, expected: float) -> None:
    assert next_change(members, TIMES, at(now)) == at(expected)
