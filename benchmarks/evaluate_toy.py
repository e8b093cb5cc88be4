"""The evaluate stage on held-out toy cases: the bundled model against copying the reference
(and the toy's right answer, which checks the scorers), every scorer, per category.

Writes the toy manifest and ``recipes/eval.yaml``'s reports under ``--out``, prints a markdown
table of the overall means and, last, ``RESULT key=value ...``. With ``--screenshot PATH`` the
report is also drawn by headless Chromium into that PNG (docs/images/evaluate_report.png).

    python benchmarks/evaluate_toy.py [--cases 24] [--steps 20] [--out outputs/eval_benchmark]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOWN = ("truth.psnr", "truth.silhouette_iou", "colour.colour_distance", "flicker.flicker",
         "motion_agreement.motion_correlation", "motion_agreement.pose_error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=24)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "eval_benchmark")
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()

    from motionctx.recipe import load_recipe
    from motionctx_toy.manifest import write_toy_manifest

    start = time.perf_counter()
    manifest = write_toy_manifest(args.out / "manifest", args.cases)
    made = time.perf_counter()
    recipe = load_recipe(REPO / "recipes" / "eval.yaml",
                         [f"inputs.manifest={manifest}", f"stages.0.with.steps={args.steps}"])
    [result] = recipe.run(output_dir=args.out / "run", progress=False, force=True)
    seconds = time.perf_counter() - made
    report = json.loads((args.out / "run" / "eval" / "report.json").read_text())
    table = report["categories"]["all"]
    print(f"{args.cases} held-out toy cases, {args.steps} steps; mean ± standard deviation over cases\n")
    print("| variant | " + " | ".join(SHOWN) + " |")
    print("|---|" + "---|" * len(SHOWN))
    for variant, row in table.items():
        print(f"| {variant} | " + " | ".join(f"{row[m]['mean']:.3f} ± {row[m]['std']:.3f}" for m in SHOWN) + " |")
    if args.screenshot:
        from motionctx.engines.evaluation.screenshot import screenshot

        print(f"\nscreenshot: {screenshot(args.out / 'run' / 'eval' / 'report.html', args.screenshot, height=1800)}")
    fields = {"cases": args.cases, "pairs_run": result.metrics["pairs_run"],
              "manifest_seconds": round(made - start, 1), "evaluate_seconds": round(seconds, 1)}
    for variant in table:
        for m in ("truth.psnr", "truth.silhouette_iou", "motion_agreement.motion_correlation"):
            fields[f"{variant}_{m.split('.')[-1]}"] = round(table[variant][m]["mean"], 4)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
