"""Deterministic Kubernetes names for DAG runs, task pods and default Backfill names.

Deterministic names are the operator's locks: creating a DagRun or a pod whose name
already exists means "already done", so the same inputs must give the same name in
every process, forever. Hashes are therefore sha256 (never Python's `hash()`).

Names stay readable when they can. When making a name valid loses information
(upper case, `_` or `.`, or a name cut to length), a short stable hash of the full,
unsanitized identity is appended so that two different identities never share a name:
`task_0` and `task-0` get different pods.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

from kairflow.core.times import as_utc

DNS_SUBDOMAIN_MAX = 253
DNS_LABEL_MAX = 63
LABEL_VALUE_MAX = 63
HASH_LEN = 8

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_NOT_LABEL_CHAR = re.compile(r"[^a-z0-9-]")
_NOT_SUBDOMAIN_CHAR = re.compile(r"[^a-z0-9.-]")
_NOT_LABEL_VALUE_CHAR = re.compile(r"[^A-Za-z0-9_.-]")
# A segment that looks like the date of a DagRun name (see `pod_name` for why it matters).
_DATE_SEGMENT = re.compile(r"\d{8}t\d{6}")
_DIGITS = re.compile(r"\d+")


def stable_hash(*parts: object, length: int = HASH_LEN) -> str:
    """A short hash of `parts`, stable across processes and Python versions.

    Letters only (base 26 of sha256): a hash is never all digits, so a hashed pod name
    (ending in `-<letters>`) can never look like a readable one (ending in `-<try>`).
    Eight letters carry about 37.6 bits, more than eight hex digits.
    """
    identity = json.dumps(parts, separators=(",", ":"), ensure_ascii=False, default=str)
    number = int.from_bytes(hashlib.sha256(identity.encode("utf-8")).digest(), "big")
    out = []
    for _ in range(length):
        number, digit = divmod(number, 26)
        out.append(chr(ord("a") + digit))
    return "".join(out)


def _trim(text: str, limit: int, edge: str) -> str:
    """Cut `text` to `limit` characters, then strip the `edge` characters from both
    ends (names must start and end with a letter or digit)."""
    return text[: max(limit, 0)].strip(edge)


def _subdomain_part(text: str) -> str:
    """`text` as DNS-1123 subdomain characters: lower case, other characters to '-',
    no empty or dash-edged dot-separated parts."""
    lowered = _NOT_SUBDOMAIN_CHAR.sub("-", text.lower())
    parts = [part.strip("-") for part in lowered.split(".")]
    return ".".join(part for part in parts if part)


def bounded_name(owner: str, suffix: str) -> str:
    """`<owner><suffix>` for an object named after its owner (a valid name itself),
    cut to a DNS subdomain's length; a cut owner name gets a hash of the full one, so
    two owners never share a child's name."""
    if len(owner) + len(suffix) <= DNS_SUBDOMAIN_MAX:
        return owner + suffix
    tag = "-" + stable_hash(owner)
    head = owner[: DNS_SUBDOMAIN_MAX - len(tag) - len(suffix)].rstrip(".-")
    return head + tag + suffix


def dagrun_name(dag_name: str, run_type: str, logical_date: datetime) -> str:
    """The DagRun name: `<dag>-<run_type>-<YYYYMMDD>t<HHMMSS>` of the logical date in UTC.

    Microseconds, when not zero, are appended as `-<ffffff>` (manual runs triggered
    "now" have them). The result is a DNS-1123 subdomain of at most 253 characters;
    a DAG name that is not one already, or is too long, is cleaned and cut, with a
    stable hash of the whole identity after it:
    `<dag cut>-<hash>-<run_type>-<date>`. The name always ends with the date segment.
    """
    when = as_utc(logical_date, "logical_date")
    date = when.strftime("%Y%m%dt%H%M%S")
    if when.microsecond:
        date += f"-{when.microsecond:06d}"
    run = _NOT_LABEL_CHAR.sub("-", run_type.lower()).strip("-") or "run"
    tail = f"-{run}-{date}"
    plain = f"{dag_name}{tail}"
    if (
        run == run_type
        and len(plain) <= DNS_SUBDOMAIN_MAX
        and _DNS_SUBDOMAIN.fullmatch(dag_name) is not None
    ):
        return plain
    digest = stable_hash("dagrun", dag_name, run_type, when.isoformat())
    budget = DNS_SUBDOMAIN_MAX - len(tail) - HASH_LEN - 1
    head = _trim(_subdomain_part(dag_name), budget, "-.")
    return f"{head}-{digest}{tail}" if head else f"{digest}{tail}"


def _date_segment(moment: datetime) -> str:
    """`YYYYMMDD`, with `tHHMMSS` when not midnight; an aware date is read in UTC and
    marked `z` (a naive one is a wall time in the DAG's zone, kept as written)."""
    aware = moment.tzinfo is not None and moment.utcoffset() is not None
    if aware:
        moment = as_utc(moment, "date")
    segment = moment.strftime("%Y%m%d")
    if moment.time() != datetime.min.time():
        segment += moment.strftime("t%H%M%S")
    if moment.microsecond:
        segment += f"-{moment.microsecond:06d}"
    return segment + ("z" if aware else "")


def backfill_name(dag_name: str, start: datetime, end: datetime) -> str:
    """The default name of a Backfill of `dag_name` over [start, end], as written
    (naive or not): `<dag>-<from>-<to>`, e.g. `etl-20240101-20240131`.

    The same DAG and range always give the same name, so a second identical backfill
    is refused as existing. A DAG name that is not a DNS-1123 subdomain, or too long,
    is cleaned and cut with a stable hash of the whole identity, as in `dagrun_name`.
    """
    tail = f"-{_date_segment(start)}-{_date_segment(end)}"
    plain = f"{dag_name}{tail}"
    if len(plain) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.fullmatch(dag_name) is not None:
        return plain
    digest = stable_hash("backfill", dag_name, start.isoformat(), end.isoformat())
    budget = DNS_SUBDOMAIN_MAX - len(tail) - HASH_LEN - 1
    head = _trim(_subdomain_part(dag_name), budget, "-.")
    return f"{head}-{digest}{tail}" if head else f"{digest}{tail}"


def is_resource_name(text: str) -> bool:
    """A valid name for a Kubernetes object (a DNS-1123 subdomain)."""
    return len(text) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.fullmatch(text) is not None


def run_id(run_type: str, logical_date: datetime) -> str:
    """Airflow's run id: `<run_type>__<logical date in UTC, ISO-8601>`,
    e.g. `scheduled__2021-01-01T00:00:00+00:00`."""
    return f"{run_type}__{as_utc(logical_date, 'logical_date').isoformat()}"


def _label_chars(text: str) -> str:
    return _NOT_LABEL_CHAR.sub("-", text.lower())


def pod_name(
    dagrun_name: str,
    task_name: str,
    try_number: int,
    map_index: int | None = None,
    poke: int | None = None,
) -> str:
    """The pod of one try of a task instance, a DNS-1123 label (at most 63 characters).

    Readable form: `<dagrun>-<task>-<try>`, or `<dagrun>-<task>-<index>-<try>` for a
    mapped instance; a reschedule-mode sensor's later pokes of one try add
    `-poke<n>`. The readable form is used only when it is exact and unambiguous:

    - the dagrun and task names are already lower-case letters, digits and '-';
    - the whole name fits in 63 characters;
    - an unmapped task's name does not end in `-<digits>` (else task `a-1`, try 2 and
      instance 1 of mapped task `a`, try 2, would both be `<dagrun>-a-1-2`);
    - the task name has no segment shaped like a DagRun date (`20210101t000000`), so
      a name can never be read as belonging to a longer DagRun name of another DAG.

    Otherwise the name is `<dagrun cut>-<task cut>[-<index>]-<try>[-poke<n>]-<hash>`,
    the hash covering the full unsanitized identity. Readable names end in a segment
    with a digit and hashed ones in letters only, so the two forms never meet.
    Injective for DagRun names made by `dagrun_name`.
    """
    if try_number < 0:
        raise ValueError(f"try_number must be >= 0, got {try_number}")
    if map_index is not None and map_index < 0:
        raise ValueError(f"map_index must be >= 0 or None, got {map_index}")
    if poke is not None and poke < 1:
        raise ValueError(f"poke must be >= 1 or None, got {poke}")
    suffix = f"-{try_number}" if map_index is None else f"-{map_index}-{try_number}"
    if poke is not None:
        suffix += f"-poke{poke}"
    run_part, task_part = _label_chars(dagrun_name), _label_chars(task_name)
    plain = f"{run_part}-{task_part}{suffix}"
    task_segments = task_part.split("-")
    exact = (
        run_part == dagrun_name
        and task_part == task_name
        and len(plain) <= DNS_LABEL_MAX
        and _DNS_LABEL.fullmatch(plain) is not None
        and not (map_index is None and _DIGITS.fullmatch(task_segments[-1]))
        and not any(_DATE_SEGMENT.fullmatch(segment) for segment in task_segments)
    )
    if exact:
        return plain
    digest = stable_hash("pod", dagrun_name, task_name, try_number, map_index, poke)
    budget = DNS_LABEL_MAX - len(suffix) - HASH_LEN - 1
    head = _readable_head(run_part, task_part, budget)
    if not head:
        return f"{suffix.lstrip('-')}-{digest}"[-DNS_LABEL_MAX:].lstrip("-")
    return f"{head}{suffix}-{digest}"


def _readable_head(run_part: str, task_part: str, budget: int) -> str:
    """`<dagrun>-<task>` cut to `budget`, keeping at least half for the task name
    (inside one run, the task is what tells pods apart at a glance)."""
    run_part, task_part = run_part.strip("-"), task_part.strip("-")
    if budget <= 0:
        return ""
    if len(run_part) + 1 + len(task_part) <= budget:
        return f"{run_part}-{task_part}".strip("-")
    task_keep = min(len(task_part), max(budget // 2, budget - len(run_part) - 1))
    run_keep = budget - task_keep - 1
    task_cut = task_part[:task_keep].strip("-")
    run_cut = run_part[: max(run_keep, 0)].strip("-")
    return "-".join(part for part in (run_cut, task_cut) if part)


def label_value(text: str) -> str:
    """`text` as a Kubernetes label value (at most 63 characters of letters, digits,
    '-', '_' and '.', starting and ending with a letter or digit).

    A valid value is returned unchanged; otherwise invalid characters become '-', the
    value is cut and a stable hash of the original is appended (`<cut>-<hash>`).
    """
    if len(text) <= LABEL_VALUE_MAX and _LABEL_VALUE.fullmatch(text):
        return text
    digest = stable_hash("label", text)
    cleaned = _NOT_LABEL_VALUE_CHAR.sub("-", text)
    head = _trim(cleaned, LABEL_VALUE_MAX - HASH_LEN - 1, "-_.")
    return f"{head}-{digest}" if head else digest


def ti_key(task_name: str, map_index: int | None) -> str:
    """The key of a task instance in DagRun status: `name`, or `name[i]` when mapped."""
    return task_name if map_index is None else f"{task_name}[{map_index}]"


def callback_pod_name(
    dagrun_name: str, task_key: str | None, kind: str, occurrence: int, index: int
) -> str:
    """The pod of one callback: `<dagrun cut>-<task cut>-<kind>-<n>[-<index>]-<hash>`
    (`dag` for the DAG's own callbacks), the hash covering the full identity. Always
    hashed (its last segment is letters only, as hashed task pods' are, and the hash
    input differs from theirs), so it never meets a task pod's name. The name is the
    callback's lock: a callback whose pod exists has been started."""
    suffix = f"-{kind.lower()}-{occurrence}" + (f"-{index}" if index else "")
    digest = stable_hash("callback", dagrun_name, task_key, kind, occurrence, index)
    budget = DNS_LABEL_MAX - len(suffix) - HASH_LEN - 1
    head = _readable_head(_label_chars(dagrun_name), _label_chars(task_key or "dag"), budget)
    return f"{head}{suffix}-{digest}" if head else f"{suffix.lstrip('-')}-{digest}"
