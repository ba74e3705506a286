"""Shared bits for benchmarks: a results table and a JSON file under bench/results/."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

RESULTS = Path(__file__).resolve().parent / "results"


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "min": ordered[0],
        "p50": statistics.median(ordered),
        "p95": pct(0.95),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def report(name: str, rows: dict[str, dict[str, Any]], unit: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"unit": unit, "rows": rows}, indent=2))
    keys = list(next(iter(rows.values())).keys())
    print(f"\n{name} ({unit})")
    print(f"{'case':<44}" + "".join(f"{k:>10}" for k in keys))
    for case, row in rows.items():
        cells = "".join(f"{v:>10.4g}" if isinstance(v, float) else f"{v:>10}" for v in row.values())
        print(f"{case:<44}{cells}")


def metric_samples(text: str, name: str) -> Iterator[Sample]:
    """The samples named `name` in a Prometheus text exposition."""
    for family in text_string_to_metric_families(text):
        yield from (sample for sample in family.samples if sample.name == name)


def api_requests(kube: Any) -> Counter[str]:
    """The API server's requests so far by `verb resource` (its own
    `apiserver_request_total`): subtract two readings for what a case cost it."""
    text = kube.kubectl("get", "--raw", "/metrics").stdout
    counts: Counter[str] = Counter()
    for sample in metric_samples(text, "apiserver_request_total"):
        counts[f"{sample.labels['verb']} {sample.labels['resource']}"] += int(sample.value)
    return counts
