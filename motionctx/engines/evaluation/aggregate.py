"""Statistics of the pair records: per variant and metric, overall and per category."""

from __future__ import annotations

import math
import statistics
from typing import Any

OVERALL = "all"


def summary(values: list[float]) -> dict[str, float | int]:
    """Mean, standard deviation, standard error, median, min, max and count of the finite values."""
    xs = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not xs:
        return {"n": 0}
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return {"n": len(xs), "mean": statistics.fmean(xs), "std": sd, "sem": sd / math.sqrt(len(xs)),
            "median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def categories(records: list[dict[str, Any]]) -> list[str]:
    """Every category named by a record, in order of first appearance, after ``all``."""
    seen: dict[str, None] = {OVERALL: None}
    for r in records:
        for c in r.get("categories", []):
            seen.setdefault(c, None)
    return list(seen)


def metric_names(records: list[dict[str, Any]]) -> list[str]:
    """Every metric any record has, in order of first appearance."""
    seen: dict[str, None] = {}
    for r in records:
        for m in r.get("scores", {}):
            seen.setdefault(m, None)
    return list(seen)


def aggregate(records: list[dict[str, Any]], variants: list[str]) -> dict[str, Any]:
    """``{category: {variant: {metric: summary}}}`` plus ``failures {variant: count}`` (pairs with
    any error) and ``pairs {variant: count}``."""
    metrics = metric_names(records)
    table: dict[str, Any] = {}
    for cat in categories(records):
        rows = [r for r in records if cat == OVERALL or cat in r.get("categories", [])]
        table[cat] = {
            v: {m: summary([r["scores"][m] for r in rows if r["variant"] == v and m in r["scores"]]) for m in metrics}
            for v in variants
        }
    return {
        "metrics": metrics,
        "categories": table,
        "pairs": {v: sum(r["variant"] == v for r in records) for v in variants},
        "failures": {v: sum(bool(r.get("errors")) and r["variant"] == v for r in records) for v in variants},
    }


def worst_first(records: list[dict[str, Any]], variant: str, metric: str, better: str) -> list[str]:
    """Case ids ordered from the worst ``metric`` of ``variant`` to the best (cases where it has
    no value, failures among them, come first)."""
    rows = [r for r in records if r["variant"] == variant]

    def key(r: dict[str, Any]) -> tuple[int, float]:
        v = r["scores"].get(metric)
        if v is None or not math.isfinite(v):
            return (0, 0.0)
        return (1, v if better == "higher" else -v)

    return [r["case"] for r in sorted(rows, key=key)]
