"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time


def measure(call):
    """Run call once; return (seconds, its result)."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def percentile(sorted_values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def latency_summary(seconds: list[float]) -> dict:
    """Return count and p50/p95/p99/max in milliseconds."""
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        **{f"p{p}_ms": round(percentile(ordered, p) * 1000, 2) for p in (50, 95, 99)},
        "max_ms": round(ordered[-1] * 1000, 2) if ordered else None,
    }


def latency_by_kind(search, queries) -> dict:
    """Run search(query) once per query; return its latency summary per query label (kind, +date)."""
    timings: dict[str, list[float]] = {}
    for query in queries:
        seconds, _ = measure(lambda query=query: search(query))
        timings.setdefault(query.label, []).append(seconds)
    return {label: latency_summary(values) for label, values in timings.items()}
