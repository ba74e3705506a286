"""Shared bits for benchmarks: a results table and a JSON file under bench/results/."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

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
