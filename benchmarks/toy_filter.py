"""The end-to-end filter against the toy's ground truth: is what it keeps actually better?

Runs the ``toy_dataset``, ``synthesize`` and ``filter`` stages of ``recipes/toy/e2e.yaml`` (the bundled pose model
as the teacher, ``--units`` pairs; a rerun resumes) unless ``--run`` names a run that has them,
then scores every synthesised pair against the exact answer the toy world knows and prints, for
each filter dimension alone and for the filter (their mean), the share kept, precision and recall
of "the teacher beat copying the reference" and the rank correlation with the true IoU; last,
``RESULT key=value ...``.

    python benchmarks/toy_filter.py [--units 200] [--out outputs/toy_filter]
    python benchmarks/toy_filter.py --run outputs/toy/e2e        # a finished toy loop
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def synthesize_and_filter(out: Path, units: int, teacher: Path | None) -> float:
    """Run the loop recipe's stages up to the filter into ``out``; their seconds."""
    from motionctx.recipe import load_recipe

    overrides = [f"stages.1.with.limit={units}"] + ([f"inputs.teacher={teacher}"] if teacher else [])
    recipe = load_recipe(REPO / "recipes" / "toy" / "e2e.yaml", overrides)
    recipe.stages = recipe.stages[:3]  # clips, synthesize, filter
    start = time.perf_counter()
    recipe.run(output_dir=out, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200, help="pairs to synthesise (without --run)")
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "toy_filter")
    parser.add_argument("--teacher", type=Path, default=None, help="pose model folder (default: the bundled one)")
    parser.add_argument("--run", type=Path, default=None, help="a run of recipes/toy/e2e.yaml to measure as it is")
    parser.add_argument("--threshold", type=float, default=None, help="keep threshold (default: the run's)")
    args = parser.parse_args()

    from motionctx_toy.filter_truth import filter_table, filter_threshold, markdown, unit_rows

    run, seconds = args.run, 0.0
    if run is None:
        run = args.out
        seconds = synthesize_and_filter(run, args.units, args.teacher)
    recorded = filter_threshold(run)
    threshold = args.threshold if args.threshold is not None else recorded if recorded is not None else 4.0
    report = filter_table(unit_rows(run), threshold)
    print(f"{report['units']} synthesised toy pairs in {run}; good = the teacher beat copying the reference "
          f"(true IoU {report['iou']:.3f} vs {report['iou_copy']:.3f} copying): {report['good']:.0%} of them; "
          f"kept when the score is above {threshold}\n")
    print(markdown(report))
    f = report["table"]["filter (mean)"]
    fields = {"units": report["units"], "good_share": round(report["good"], 3), "threshold": threshold,
              "kept": round(f["kept"], 3), "precision": round(f["precision"], 3), "recall": round(f["recall"], 3),
              "iou_kept": round(f["iou_kept"], 4), "iou_dropped": round(f["iou_dropped"], 4),
              "spearman": round(f["spearman"], 3), "synthesize_filter_seconds": round(seconds, 1)}
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
