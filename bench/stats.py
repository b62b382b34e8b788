"""Small statistics for timings: medians and nearest-rank percentiles, never single measurements."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from typing import Iterator, Sequence

from eval.metrics import percentile  # nearest rank, as make eval reports latencies


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def summary(values: Sequence[float], digits: int = 1) -> dict:
    """n, p50, p95, min and max of a list of measurements, rounded for the report."""
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.5), digits),
        "p95": round(percentile(values, 0.95), digits),
        "min": round(min(values), digits) if values else 0.0,
        "max": round(max(values), digits) if values else 0.0,
    }


def ratio(value: float, reference: float) -> float | None:
    return round(value / reference, 2) if reference else None


def overhead_percent(value: float, reference: float) -> float | None:
    return round((value - reference) / reference * 100, 1) if reference else None


class Stopwatch:
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """`with timed() as t: ...` then `t.seconds`."""
    watch = Stopwatch()
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started
