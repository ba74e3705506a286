"""Which operator replica owns which DAG, when replicas share the work (docs/sharding.md).

Every replica announces itself with a Lease it renews. Each replica observes the
others' Leases on its own clock (as client-go's leader election does: a Lease is
live while its renewTime keeps changing, judged by when *this* replica last saw it
change, so clocks need not agree). A DAG (namespace/name) belongs to one eligible
member, chosen by rendezvous (highest-random-weight) hashing: when a member comes or
goes, only the DAGs it wins or held move.

Hand-over is made safe by asymmetry, not by agreement:
- a member becomes eligible `join_delay` after it is first seen, and a member stops
  acting on a DAG the moment its own view says someone else owns it;
- a member starts acting on a DAG only when it has owned it, in its own view, for
  the whole of the last `margin` (so the old owner, whose view lags by at most one
  poll, has stopped first);
- a member whose own Lease was not renewed within `renew_deadline` (shorter than the
  Lease's duration) acts on nothing: it fences itself before the others take over.

Everything here is pure: times are given, nothing is read from the cluster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LeaseTimes:
    """A shard group's timings, all derived from the Lease's duration."""

    duration: timedelta
    """A Lease not seen renewed for this long is expired: its member is gone."""

    @property
    def renew_every(self) -> timedelta:
        """How often a member renews its Lease and reads the others'."""
        return self.duration / 5

    @property
    def renew_deadline(self) -> timedelta:
        """A member that has not renewed for this long acts on nothing (self-fencing)."""
        return self.duration * 2 / 3

    @property
    def margin(self) -> timedelta:
        """How long a new owner waits, after its view changed, before it acts: more
        than one poll (`renew_every`), so the old owner has seen the change too."""
        return self.duration / 3

    @property
    def join_delay(self) -> timedelta:
        """A member first seen now owns nothing before this long has passed: every
        other member has read its Lease by then."""
        return self.duration


@dataclass(frozen=True)
class LeaseRecord:
    """A member's Lease as read from the API."""

    identity: str
    acquired: str
    """The Lease's acquireTime as written: a new value is a new incarnation (restart)."""
    renewed: str
    """The Lease's renewTime as written: only whether it changes matters."""
    released: bool = False
    """Given up on a clean stop (no holder): the member has stopped acting."""


@dataclass(frozen=True)
class Member:
    """A member as this replica has observed it, on this replica's clock."""

    identity: str
    acquired: str
    renewed: str
    seen_since: datetime
    """When this replica first saw this incarnation."""
    renewal_seen_at: datetime
    """When this replica last saw its renewTime change."""


def observe(
    known: Mapping[str, Member], leases: Iterable[LeaseRecord], times: LeaseTimes, now: datetime
) -> dict[str, Member]:
    """The members after reading `leases` at `now`. A released Lease is a member that
    stopped cleanly: gone at once. A Lease that vanished without being released
    (deleted by hand, or with its pod) is a member that may still be acting: it stays
    until it would have expired, plus the margin."""
    members: dict[str, Member] = {}
    listed: set[str] = set()
    for lease in leases:
        listed.add(lease.identity)
        before = known.get(lease.identity)
        if lease.released:
            continue
        if before is None or before.acquired != lease.acquired:
            members[lease.identity] = Member(
                lease.identity, lease.acquired, lease.renewed, now, now
            )
        elif before.renewed != lease.renewed:
            members[lease.identity] = replace(before, renewed=lease.renewed, renewal_seen_at=now)
        else:
            members[lease.identity] = before
    for identity, before in known.items():
        if identity not in listed and now < before.renewal_seen_at + times.duration + times.margin:
            members[identity] = before
    return members


def renewed_by_me(members: Mapping[str, Member], me: str, started: datetime) -> dict[str, Member]:
    """`members` with my own renewal dated `started`, when my renewal request began:
    my Lease may have reached the API server any time after, so I fence myself from
    the earliest moment the others can count from."""
    own = members.get(me)
    if own is None:
        return dict(members)
    return {**members, me: replace(own, renewal_seen_at=started)}


def expired(member: Member, times: LeaseTimes, now: datetime) -> bool:
    """Whether `member`'s Lease has not been seen renewed for a whole Lease duration."""
    return now >= member.renewal_seen_at + times.duration


def eligible(members: Iterable[Member], times: LeaseTimes, at: datetime) -> list[str]:
    """Identities that may own DAGs at `at`: seen for `join_delay`, Lease not expired."""
    return sorted(
        m.identity
        for m in members
        if m.seen_since + times.join_delay <= at and not expired(m, times, at)
    )


def _weight(identity: str, key: str) -> int:
    digest = hashlib.sha256(f"{identity}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def rendezvous_owner(key: str, identities: Iterable[str]) -> str | None:
    """The identity with the highest weight for `key` (None when there is none):
    removing an identity moves only the keys it owned."""
    return max(identities, key=lambda i: (_weight(i, key), i), default=None)


def dag_shard_key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def owner_at(key: str, members: Iterable[Member], times: LeaseTimes, at: datetime) -> str | None:
    return rendezvous_owner(key, eligible(members, times, at))


def fenced(me: str, members: Mapping[str, Member], times: LeaseTimes, now: datetime) -> bool:
    """Whether `me` must act on nothing: its own Lease was not renewed (on its own
    clock) within the renew deadline, or it is not in the list at all."""
    own = members.get(me)
    return own is None or now >= own.renewal_seen_at + times.renew_deadline


def may_act(
    me: str, key: str, members: Mapping[str, Member], times: LeaseTimes, now: datetime
) -> bool:
    """Whether `me` may sync the DAG `key` now: not fenced, and the owner both now
    and `margin` ago (an owner's view that changed stops it at once and starts the
    new owner `margin` later)."""
    if fenced(me, members, times, now):
        return False
    found = members.values()
    return (
        owner_at(key, found, times, now) == me
        and owner_at(key, found, times, now - times.margin) == me
    )


def next_change(members: Iterable[Member], times: LeaseTimes, now: datetime) -> datetime | None:
    """The earliest time after `now` at which `may_act` can change without a new
    observation (a member becomes eligible, expires, or a margin passes)."""
    moments: list[datetime] = []
    for m in members:
        for at in (m.seen_since + times.join_delay, m.renewal_seen_at + times.duration):
            moments += [at, at + times.margin]
        moments.append(m.renewal_seen_at + times.renew_deadline)
    later = [at for at in moments if at > now]
    return min(later, default=None)
