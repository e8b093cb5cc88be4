"""The end-to-end filter measured against the toy's ground truth.

A ``synthesize`` + ``filter`` run on toy media knows, for every pseudo pair, the exact output the
teacher should have drawn (:func:`motionctx_toy.pairs.unit_truth`). A pair is *good* when the
teacher beat copying the reference on it (silhouette IoU against the truth above the copy's). Each
of the filter's dimensions, and the filter itself (the mean of them), keeps the pairs scoring above
the run's threshold; their precision (kept pairs that are good), recall (good pairs kept) and rank
correlation with the true IoU say whether what the filter keeps is actually better.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

from motionctx.errors import InputError

FILTER = "filter (mean)"


def filter_threshold(run: Path) -> float | None:
    """The ``filter`` stage's threshold recorded in the run's ``run.json`` (None when absent)."""
    info = run / "run.json"
    if not info.is_file():
        return None
    for stage in json.loads(info.read_text()).get("recipe", {}).get("stages", []):
        if stage.get("run") == "filter":
            return float((stage.get("with") or {}).get("threshold", 4.0))
    return None


def unit_rows(run: Path, folder: str = "synth", track: Any = None) -> list[dict[str, Any]]:
    """One row per synthesised unit of ``run`` that the filter scored: its true scores
    (:func:`~motionctx_toy.pairs.score_unit`), its filter scores (1-5, per dimension) and mean."""
    from motionctx.io import read_jsonl
    from motionctx_toy.pairs import score_unit, unit_truth

    manifests = sorted((run / folder).glob("manifest*.jsonl"))
    scores_file = run / "scores.jsonl"
    if not manifests or not scores_file.is_file():
        raise InputError(f"{str(run)!r} has no synthesised units with filter scores "
                         f"({folder}/manifest*.jsonl and scores.jsonl)", "run the synthesize and filter stages first")
    scored = {r["id"]: r for r in read_jsonl(scores_file)}
    entries = [e for m in manifests for e in read_jsonl(m) if e["id"] in scored]
    rows = []
    for e in track(entries, "ground truth") if track else entries:
        truth = unit_truth(e["reference"], e["driving"], int(e.get("start", 0)), int(e["frames"]))
        true = score_unit(e["video"], truth, e["reference"])
        rows.append({"id": e["id"], **true, "good": true["iou"] > true["iou_copy"],
                     "scores": scored[e["id"]]["scores"], "mean": scored[e["id"]]["mean"]})
    return rows


def _ranks(values: list[float]) -> list[float]:
    """Ranks from 1, ties given their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation (NaN when either side is constant)."""
    rx, ry = _ranks(x), _ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx, syy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def filter_table(rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """Precision, recall, kept share, true IoU of kept and dropped pairs and rank correlation with
    the true IoU, for each dimension alone and for the filter (``FILTER``), each keeping the pairs
    scoring above ``threshold``."""
    if not rows:
        raise InputError("no scored units to measure", "synthesize and filter some units first")
    good = [r["good"] for r in rows]
    true_iou = [r["iou"] for r in rows]
    dims = sorted({d for r in rows for d in r["scores"]})
    table = {}
    for name in [FILTER, *dims]:
        values = [r["mean"] if name == FILTER else r["scores"].get(name, float("nan")) for r in rows]
        keep = [v > threshold for v in values]
        hits = sum(k and g for k, g in zip(keep, good))
        table[name] = {
            "kept": sum(keep) / len(rows),
            "precision": hits / sum(keep) if any(keep) else float("nan"),
            "recall": hits / sum(good) if any(good) else float("nan"),
            "iou_kept": _mean([i for i, k in zip(true_iou, keep) if k]),
            "iou_dropped": _mean([i for i, k in zip(true_iou, keep) if not k]),
            "spearman": spearman([v if math.isfinite(v) else -1.0 for v in values], true_iou),
        }
    return {
        "units": len(rows),
        "threshold": threshold,
        "good": sum(good) / len(rows),
        "iou": _mean(true_iou),
        "iou_copy": _mean([r["iou_copy"] for r in rows]),
        "table": table,
    }


def markdown(report: dict[str, Any]) -> str:
    """The table of :func:`filter_table` as markdown, one row per scorer."""
    head = ("| kept by | kept | precision | recall | true IoU kept | true IoU dropped | rank corr. with true IoU |\n"
            "|---|---|---|---|---|---|---|\n")
    return head + "".join(
        f"| {name} | {r['kept']:.2f} | {r['precision']:.2f} | {r['recall']:.2f} | {r['iou_kept']:.3f} | "
        f"{r['iou_dropped']:.3f} | {r['spearman']:+.2f} |\n" for name, r in report["table"].items())
