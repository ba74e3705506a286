"""The operator (`kairflow operator`) with a memory probe, for bench/memory.py --probe.

`kill -USR1 <pid>` writes $KAIRFLOW_BENCH_PROBE (JSON): the deep size of each part of
the operator's cache (an object shared by two parts is counted in the first), and, when
KAIRFLOW_BENCH_TRACEMALLOC=<frames> started tracemalloc, the biggest allocation sites.
tracemalloc costs memory and time of its own: RSS read with it on is not the figure.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import tempfile
import tracemalloc
import types
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def deep_size(roots: Iterable[Any], seen: set[int], strings: Counter[str] | None = None) -> int:
    """Bytes of everything reachable from `roots` not in `seen` (which it extends);
    `strings` counts the distinct str objects met, by value."""
    total, stack = 0, list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIP):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if strings is not None and type(obj) is str:
            strings[obj] += 1
        stack.extend(gc.get_referents(obj))
    return total


def duplicates(strings: Counter[str]) -> dict[str, int]:
    """Bytes of str objects whose value another str object of the cache has too:
    what interning them would save."""
    total = sum(sys.getsizeof(s) * n for s, n in strings.items())
    extra = sum(sys.getsizeof(s) * (n - 1) for s, n in strings.items())
    return {"str bytes": total, "duplicate str bytes": extra}


def _snapshots(cache: Any) -> list[Any]:
    return [
        (body.get("status") or {}).get("dagSpec")
        for body in cache.runs.values()
        if (body.get("status") or {}).get("dagSpec") is not None
    ]


def cache_parts(cache: Any) -> dict[str, Any]:
    parts: list[tuple[str, Callable[[], list[Any]]]] = [
        ("run DAG snapshots (status.dagSpec)", lambda: _snapshots(cache)),
        ("run bodies, the rest", lambda: [cache.runs]),
        ("run views", lambda: [cache.run_views]),
        ("task instance slices", lambda: [cache.slices]),
        ("pods", lambda: [cache.pods_by_run]),
        ("DAG bodies", lambda: [cache.dags]),
        ("DAG views", lambda: [cache.dag_views]),
        ("snapshot facts", lambda: [cache.snapshots]),
        ("everything else in the cache", lambda: [cache]),
    ]
    seen: set[int] = set()
    strings: Counter[str] = Counter()
    sizes = {name: deep_size(roots(), seen, strings) for name, roots in parts}
    pods = sum(len(p) for p in cache.pods_by_run.values())
    counts = {"runs": len(cache.runs), "dags": len(cache.dags), "pods": pods}
    return {"bytes": sizes, "counts": counts, "strings": duplicates(strings)}


def heap_types(limit: int = 25) -> list[dict[str, Any]]:
    """The container types with the most bytes among the objects the collector tracks
    (their own size: not what they hold)."""
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        sizes[name] += sys.getsizeof(obj)
        counts[name] += 1
    return [
        {"type": name, "bytes": size, "count": counts[name]}
        for name, size in sizes.most_common(limit)
    ]


def pymalloc() -> dict[str, int]:
    """pymalloc's totals (`sys._debugmallocstats`, which writes to fd 2): what its
    arenas hold against what is in use, i.e. how fragmented the heap is."""
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read().decode(errors="replace")
    wanted = {
        "# arenas allocated current": "arenas",
        "# bytes in allocated blocks": "in use",
        "# bytes in available blocks": "free blocks",
        "unused pools": "free pools",
        "Total": "arenas' bytes",
    }
    found: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        name = "unused pools" if name.split("*")[0].strip().endswith("unused pools") else name
        label = wanted.get(name.strip())
        number = value.strip().replace(",", "")
        if label and label not in found and number.isdigit():
            found[label] = int(number)
    return found


def probe(out: Path) -> None:
    from kairflow.controller.cache import Cache  # noqa: PLC0415 - imported by then

    caches = [obj for obj in gc.get_objects() if isinstance(obj, Cache)]
    found: dict[str, Any] = {
        "caches": [cache_parts(cache) for cache in caches],
        "types": heap_types(),
        "pymalloc": pymalloc(),
    }
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        found["traced_bytes"] = tracemalloc.get_traced_memory()[0]
        found["top_lines"] = [
            {"where": str(stat.traceback[0]), "bytes": stat.size, "count": stat.count}
            for stat in snapshot.statistics("lineno")[:40]
        ]
        found["top_tracebacks"] = [
            {"where": stat.traceback.format()[-12:], "bytes": stat.size, "count": stat.count}
            for stat in snapshot.statistics("traceback")[:15]
        ]
    # Whole or not at all: the bench reads it as soon as it exists.
    partial = out.with_suffix(".partial")
    partial.write_text(json.dumps(found, indent=2))
    partial.replace(out)


def main() -> None:
    frames = int(os.environ.get("KAIRFLOW_BENCH_TRACEMALLOC") or 0)
    if frames:
        tracemalloc.start(frames)
    out = Path(os.environ["KAIRFLOW_BENCH_PROBE"])
    signal.signal(signal.SIGUSR1, lambda *_: probe(out))
    # After tracemalloc started: what importing the operator costs is traced too.
    from kairflow.cli.main import main as cli  # noqa: PLC0415

    sys.argv = [sys.argv[0], "operator", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
