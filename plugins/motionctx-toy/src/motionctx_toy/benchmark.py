"""The toy benchmark: held-out cross-identity cases scored against exact ground truth.

Each case animates identity A (the reference) with the motion identity B performs in the driving
clip; the answer is A performing that motion, rendered by the toy world. Variants:

- ``copy``: the reference repeated (no motion at all);
- ``pose_full``: a model fully trained on the pose layout (the bundled model);
- ``no_lora``: the method's image-to-video base alone, stock layout (``first_frame``);
- ``pose``: the method: that base + the pose LoRA, spatial in-context composite of the skeleton;
- ``e2e``: a LoRA reading the raw driving clip instead of a skeleton;
- ``e2e_full``: a model fully trained end to end (``recipes/toy/e2e.yaml``), driven by the raw
  driving clip;
- any extra variants given as recipe-style part settings.

Held-out seeds: benchmark seed ``s`` uses cases ``HELDOUT_START + s * CASES_PER_SEED + i``, never
used in training (training seeds are below ``HELDOUT_START``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx_toy.seeds import HELDOUT_START

if TYPE_CHECKING:
    from motionctx_toy.world import ToyWorld

CASES_PER_SEED = 100_000
METRICS = ("iou", "psnr", "ssim", "colour_distance")


@dataclass
class Variant:
    """One model variant: ``parts`` are recipe-style ``{slot: {use, with}}`` for backbone, motion and
    composer; an empty ``parts`` means the copy-the-reference baseline."""

    name: str
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)


def default_variants(model: str | Path | None, lora: str | Path | None, *, motion: dict[str, Any] | None = None,
                     pose_model: str | Path | None = None, pose_backbone: dict[str, Any] | None = None,
                     e2e_lora: str | Path | None = None, e2e_model: str | Path | None = None) -> list[Variant]:
    """copy; (when ``pose_model`` is given) pose_full: a model fully trained on the pose layout,
    without LoRA (the bundled model); (when ``e2e_model`` is given) e2e_full: a model fully trained
    end to end, the raw driving clip beside the reference; (when the method's base ``model`` is
    given) no_lora, and with ``lora`` pose (the method), with ``e2e_lora`` e2e (the raw driving
    clip beside the reference). ``pose_backbone``: more backbone parameters for the fully trained
    and pose variants, as they were trained (e.g. ``{"rope_parts": 2}``)."""
    # the given cells' noisy latent is held where training had it (the toy models never learn to denoise them)
    backbone = {"path": str(model), "dtype": "float32", "max_sequence_length": 128, "hold_known": True}
    out = [Variant("copy")]

    def pose(name: str, raw: bool = False, **weights: str) -> Variant:
        """A spatial-layout variant: the skeleton (or, ``raw``, the driving clip itself) beside the reference."""
        moving = {"use": "raw_video"} if raw else {"use": "pose", "with": dict(motion or {})}
        return Variant(name, {"backbone": {"use": "wan_i2v", "with": {**backbone, **(pose_backbone or {}), **weights}},
                              "composer": {"use": "spatial"}, "motion": moving})

    if pose_model:
        out.append(pose("pose_full", path=str(pose_model)))
    if e2e_model:  # the same spatial layout as pose_full, so the same backbone extras
        out.append(pose("e2e_full", raw=True, path=str(e2e_model)))
    if model is None:
        if lora or e2e_lora:
            raise ValueError("a LoRA variant needs the base model it was trained on")
        return out
    out.append(Variant("no_lora", {"backbone": {"use": "wan_i2v", "with": backbone}, "composer": {"use": "first_frame"},
                                   "motion": {"use": "raw_video"}}))
    if lora:
        out.append(pose("pose", lora=str(lora)))
    if e2e_lora:
        out.append(Variant("e2e", {"backbone": {"use": "wan_i2v", "with": {**backbone, "lora": str(e2e_lora)}},
                                   "composer": {"use": "spatial"}, "motion": {"use": "raw_video"}}))
    return out


def proportion_gap(case: Any) -> float:
    """How differently A and B are built: mean absolute log-ratio of their bone-length factors."""
    from motionctx_toy.character import make_character

    fam = case.metadata["family"]
    a = make_character(case.metadata["identity_a"], fam).proportions
    b = make_character(case.metadata["identity_b"], fam).proportions
    keys = sorted(set(a) & set(b))
    return sum(abs(math.log(a[k] / b[k])) for k in keys) / max(1, len(keys))


def _motion_part(variant: Variant, case: Any) -> Any:
    from motionctx import build_part

    spec = variant.parts["motion"]
    params = dict(spec.get("with") or {})
    if spec["use"] == "pose":  # the toy's ground-truth keypoints of the driving clip
        params.setdefault("estimator", {"use": "toy_truth", "with": {"clip": case.driving.metadata["spec"]}})
    return build_part("motion_source", spec["use"], params)


def run_case(variant: Variant, case: Any, parts: dict[str, Any], *, steps: int, guidance: float, seed: int) -> Any:
    """The variant's output video for one case."""
    from motionctx.engines.sampling import animate
    from motionctx_toy.metrics import copy_reference

    if not variant.parts:
        return copy_reference(case)
    result = animate(
        parts["backbone"], _motion_part(variant, case), parts["composer"], case.reference, case.driving.video,
        prompt=case.target.caption, steps=steps, guidance=guidance, seed=seed,
    )
    return result.video


def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values) if len(values) > 1 else 0.0}


def run_benchmark(
    variants: list[Variant],
    *,
    seeds: list[int],
    cases: int,
    world: ToyWorld,
    steps: int = 20,
    guidance: float = 1.0,
    gap_threshold: float = 0.15,
    track: Callable[[Any, str], Any] | None = None,
    on_output: Callable[[str, int, int, Any, Any], None] | None = None,
) -> dict[str, Any]:
    """Score every variant on ``cases`` held-out cases for each benchmark seed.

    ``world`` draws the cases (its held-out split is used whatever split it was made for).
    Returns per-variant per-seed means, the mean and spread over seeds, and the IoU on the subset
    of cases whose A and B proportions differ by more than ``gap_threshold``. ``on_output(variant,
    seed, index, case, output)`` sees every output video (to keep some for a picture).
    """
    from dataclasses import asdict, replace

    from motionctx import build_part
    from motionctx_toy.metrics import score_case

    world = replace(world, split="heldout")
    all_cases = {s: [world.cross_identity_case(HELDOUT_START + s * CASES_PER_SEED + i) for i in range(cases)] for s in seeds}
    gaps = {s: [proportion_gap(c) for c in cs] for s, cs in all_cases.items()}
    settings = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(world).items() if k != "split"}
    report: dict[str, Any] = {"seeds": seeds, "cases": cases, "world": settings, "steps": steps, "guidance": guidance, "gap_threshold": gap_threshold, "variants": {}}
    for variant in variants:
        parts = {}
        if variant.parts:
            for slot in ("backbone", "composer"):
                spec = variant.parts[slot]
                kind = "backbone" if slot == "backbone" else "composer"
                parts[slot] = build_part(kind, spec["use"], spec.get("with") or {})
                parts[slot].ensure_loaded()
        per_seed: dict[int, dict[str, float]] = {}
        far_iou: list[float] = []
        jobs = [(s, i, c) for s, cs in all_cases.items() for i, c in enumerate(cs)]
        scores: dict[int, list[dict[str, float]]] = {s: [] for s in seeds}
        for s, i, case in track(jobs, f"benchmark {variant.name}") if track else jobs:
            pred = run_case(variant, case, parts, steps=steps, guidance=guidance, seed=i)
            row = score_case(pred, case)
            if on_output is not None:
                on_output(variant.name, s, i, case, pred)
            scores[s].append(row)
            if gaps[s][i] > gap_threshold:
                far_iou.append(row["iou"])
        for s in seeds:
            per_seed[s] = {m: statistics.fmean(r[m] for r in scores[s]) for m in METRICS}
        report["variants"][variant.name] = {
            "per_seed": {str(s): v for s, v in per_seed.items()},
            **{m: _summary([per_seed[s][m] for s in seeds]) for m in METRICS},
            "iou_different_proportions": statistics.fmean(far_iou) if far_iou else None,
            "different_proportions_cases": len(far_iou),
        }
    return report


def markdown_table(report: dict[str, Any]) -> str:
    """The report as a markdown table: mean ± spread over seeds per metric."""
    head = "| variant | IoU | PSNR (dB) | SSIM | colour distance | IoU, different proportions |\n|---|---|---|---|---|---|\n"
    rows = []
    for name, v in report["variants"].items():
        cells = [f"{v[m]['mean']:.3f} ± {v[m]['std']:.3f}" for m in METRICS]
        far = v["iou_different_proportions"]
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {'-' if far is None else f'{far:.3f}'} ({v['different_proportions_cases']}) |")
    return head + "\n".join(rows) + "\n"


def main_variant(report: dict[str, Any]) -> str:
    """The variant a benchmark is about: ``pose_full`` (the bundled kind of model), else the
    method's ``pose``, else ``no_lora``, else ``copy``."""
    v = report["variants"]
    return next(name for name in ("pose_full", "pose", "no_lora", "copy") if name in v)


def margins(report: dict[str, Any], variant: str) -> dict[str, float]:
    """``variant`` minus copying, per metric: the mean over seeds of the per-seed difference and
    its spread (standard deviation over seeds), plus both IoUs on the different-proportion cases."""
    v, c = report["variants"][variant], report["variants"]["copy"]
    out: dict[str, float] = {}
    for m in ("iou", "psnr"):
        diffs = [v["per_seed"][s][m] - c["per_seed"][s][m] for s in v["per_seed"]]
        out[f"{m}_margin"] = statistics.fmean(diffs)
        out[f"{m}_margin_spread"] = statistics.pstdev(diffs) if len(diffs) > 1 else 0.0
    out["iou_far"] = v["iou_different_proportions"] if v["iou_different_proportions"] is not None else math.nan
    out["iou_far_copy"] = c["iou_different_proportions"] if c["iou_different_proportions"] is not None else math.nan
    return out


def result_line(report: dict[str, Any]) -> str:
    """``RESULT variant=... iou=... psnr=... iou_copy=... psnr_copy=... iou_margin=... ...``: the
    main variant (:func:`main_variant`) against copying."""
    name = main_variant(report)
    v, c = report["variants"][name], report["variants"]["copy"]
    fields = {"iou": v["iou"]["mean"], "psnr": v["psnr"]["mean"], "colour_distance": v["colour_distance"]["mean"],
              "iou_copy": c["iou"]["mean"], "psnr_copy": c["psnr"]["mean"], **margins(report, name)}
    return f"RESULT variant={name} " + " ".join(f"{k}={x:.4f}" for k, x in fields.items())
