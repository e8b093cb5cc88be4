"""The end-to-end filter measured against toy ground truth: each synthesised unit is scored against
the exact answer, and the filter's keep decisions against "the teacher beat copying"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from motionctx.io import append_jsonl, read_jsonl, write_video
from motionctx.types import Video
from motionctx_toy.filter_truth import FILTER, filter_table, filter_threshold, markdown, spearman, unit_rows


def _run_folder(tmp_path: Path) -> Path:
    """A run folder as synthesize + filter leave it, over real toy media: unit ``right`` holds the
    exact answer, unit ``copy`` the reference still repeated."""
    from motionctx_toy.dataset import write_toy_dataset
    from motionctx_toy.pairs import unit_truth
    from motionctx_toy.world import world_preset

    clips = tmp_path / "clips"
    manifest = read_jsonl(write_toy_dataset(clips, 2, world=world_preset("simple"), references=True))
    run = tmp_path / "run"
    (run / "synth").mkdir(parents=True)
    reference, driving = clips / manifest[0]["reference"], clips / manifest[1]["path"]
    truth = unit_truth(reference, driving, 1, 4)
    from motionctx.io import read_image

    still = read_image(reference).pixels[None].repeat(4, 1, 1, 1)
    videos = {"right": truth.video, "copy": Video(still, truth.video.fps)}
    for uid, video in videos.items():
        path = write_video(run / "synth" / f"{uid}.mp4", video, lossless=True)
        append_jsonl(run / "synth" / "manifest.jsonl", {"id": uid, "reference": str(reference), "driving": str(driving),
                                                         "video": str(path), "start": 1, "frames": 4})
    for uid, sharp in (("right", 5.0), ("copy", 2.0)):
        append_jsonl(run / "scores.jsonl", {"id": uid, "scores": {"sharp": sharp, "flat": 3.0}, "mean": (sharp + 3) / 2})
    return run


def test_units_are_scored_against_the_exact_answer(tmp_path: Path) -> None:
    rows = {r["id"]: r for r in unit_rows(_run_folder(tmp_path))}
    assert rows["right"]["iou"] == 1.0 and rows["right"]["good"]
    assert rows["copy"]["iou"] == rows["copy"]["iou_copy"] and not rows["copy"]["good"]
    report = filter_table(list(rows.values()), 3.5)
    assert report["good"] == 0.5
    f = report["table"][FILTER]  # keeps "right" (mean 4) only
    assert f["kept"] == 0.5 and f["precision"] == 1.0 and f["recall"] == 1.0
    assert f["iou_kept"] == rows["right"]["iou"] and f["iou_dropped"] == rows["copy"]["iou"]
    flat = report["table"]["flat"]  # 3.0 everywhere: keeps nothing at 3.5
    assert flat["kept"] == 0.0 and math.isnan(flat["precision"]) and flat["recall"] == 0.0
    assert "| sharp | 0.50 | 1.00 | 1.00 |" in markdown(report)


def test_filter_table_counts_precision_and_recall() -> None:
    rows = [{"iou": i / 10, "iou_copy": 0.35, "good": i / 10 > 0.35, "scores": {"d": float(s)}, "mean": float(s)}
            for i, s in zip(range(8), (1, 5, 1, 5, 5, 1, 5, 5))]
    t = filter_table(rows, 4.0)["table"][FILTER]
    kept = [r for r in rows if r["mean"] > 4]
    assert t["kept"] == len(kept) / 8 == 0.625
    assert t["precision"] == pytest.approx(3 / 5)  # kept 1, 3, 4, 6, 7; good 4, 5, 6, 7
    assert t["recall"] == pytest.approx(3 / 4)


def test_spearman_ranks_with_ties() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.894427, abs=1e-6)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_threshold_comes_from_the_run(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"recipe": {"stages": [{"run": "synthesize"},
                                                                         {"run": "filter", "with": {"threshold": 3.5}}]}}))
    assert filter_threshold(tmp_path) == 3.5
    assert filter_threshold(tmp_path / "none") is None


def test_a_run_without_scores_is_refused(tmp_path: Path) -> None:
    from motionctx.errors import InputError

    with pytest.raises(InputError, match="run the synthesize and filter stages first"):
        unit_rows(tmp_path)
