"""``motionctx toy ...`` commands: the benchmark and demo assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from motionctx.console import handle_errors, out_console

toy_app = typer.Typer(help="The toy world: benchmark the bundled model, write demo assets.", no_args_is_help=True)


@toy_app.command("benchmark")
@handle_errors
def benchmark_cmd(
    out: Path = typer.Option(Path("outputs/toy_benchmark/report.json"), "--out", help="report JSON (a .md table is written beside it)"),
    seed: list[int] = typer.Option([0, 1, 2], "--seed", help="benchmark seed (repeatable); each gives its own held-out cases"),
    cases: int = typer.Option(16, "--cases", min=1, help="cases per seed"),
    model: Path | None = typer.Option(None, "--model", help="toy pipeline folder (default: the bundled model)"),
    lora: Path | None = typer.Option(None, "--lora", help="pose LoRA (default: the bundled one)"),
    pose_model: Path | None = typer.Option(
        None, "--pose-model", help="also score a model fully trained on the pose layout, without LoRA (variant pose_full)"
    ),
    e2e_lora: Path | None = typer.Option(
        None, "--e2e-lora", help="also score an end-to-end LoRA: the raw driving clip as the motion signal (variant e2e)"
    ),
    steps: int = typer.Option(20, "--steps", min=1, help="denoising steps"),
    size: int = typer.Option(48, "--size", help="frame side in pixels (the bundled model is trained at 48)"),
    frames: int = typer.Option(9, "--frames", help="frames per case"),
    scale: float = typer.Option(1.0, "--scale", help="framing: character size, as the model was trained"),
    span: float = typer.Option(1.0, "--span", help="framing: how far motions travel, as the model was trained"),
    background: str | None = typer.Option(None, "--background", help="force one background kind (plain, stripes, ...)"),
    line_scale: float = typer.Option(0.25, "--line-scale", help="skeleton stroke scale (as in training)"),
    rope_parts: int = typer.Option(
        1, "--rope-parts", min=1, help="the pose models' backbone rope_parts, as trained (2: halves share positions)"
    ),
    sheet_cases: int = typer.Option(
        4, "--sheet-cases", min=0, help="cases of the first seed drawn in a .png beside the report (0: none)"
    ),
) -> None:
    """Score copy-the-reference, the backbone without LoRA, and the pose model on held-out cases.

    Writes the report JSON, a markdown table beside it and, unless --sheet-cases 0, a picture of
    what each variant drew for the first cases."""
    from rich.progress import track

    from motionctx.errors import WeightsError
    from motionctx.io import atomic_write_json, atomic_write_text, write_image
    from motionctx_toy.benchmark import default_variants, markdown_table, result_line, run_benchmark
    from motionctx_toy.bundled import bundled_lora, bundled_model
    from motionctx_toy.sheet import benchmark_sheet

    model = model or bundled_model()
    lora = lora or bundled_lora()
    for folder, flag in ((model, "--model"), (pose_model, "--pose-model")):
        if folder is not None and not (Path(folder) / "model_index.json").is_file():
            raise WeightsError(f"toy model folder {str(folder)!r} has no model_index.json",
                               f"train it with recipes/toy/ or pass {flag}")
    if e2e_lora is not None and not e2e_lora.is_file():
        raise WeightsError(f"end-to-end LoRA {str(e2e_lora)!r} does not exist",
                           "train it with recipes/toy/probes/e2e_lora.yaml or fix --e2e-lora")
    keep = _FirstCases(seed[0], sheet_cases)
    report = run_benchmark(
        default_variants(model, lora, motion={"render": {"line_scale": line_scale, "hands": False, "face": False}},
                         pose_model=pose_model, pose_backbone={"rope_parts": rope_parts} if rope_parts != 1 else None,
                         e2e_lora=e2e_lora),
        seeds=list(seed), cases=cases, size=(size, size), frames=frames, scale=scale, span=span, background_kind=background,
        steps=steps,
        track=lambda jobs, what: track(jobs, description=what),
        on_output=keep.add,
    )
    atomic_write_json(out, report)
    table = markdown_table(report)
    if keep.cases:
        sheet = write_image(out.with_suffix(".png"), benchmark_sheet(keep.cases, keep.outputs))
        table += f"\n![what each variant drew for the first {len(keep.cases)} cases of seed {seed[0]}]({sheet.name})\n"
    atomic_write_text(out.with_suffix(".md"), table)
    out_console.print(table, markup=False)
    print(result_line(report))


class _FirstCases:
    """Keeps the outputs of the first ``count`` cases of one seed, for the picture."""

    def __init__(self, seed: int, count: int) -> None:
        self.seed, self.count = seed, count
        self.cases: list[Any] = []
        self.outputs: dict[str, list[Any]] = {}

    def add(self, variant: str, seed: int, index: int, case: Any, output: Any) -> None:
        if seed != self.seed or index >= self.count:
            return
        if index == len(self.cases):
            self.cases.append(case)
        self.outputs.setdefault(variant, []).append(output)


@toy_app.command("bundle")
@handle_errors
def bundle_cmd(
    models: Path = typer.Option(Path("outputs/toy"), "--models", help="the toy recipes' output folder (TOY_OUTPUT)"),
    dest: Path | None = typer.Option(None, "--dest", help="where to write the bundle (default: the package's bundled/)"),
) -> None:
    """Bundle the model trained by recipes/toy/ (pretrain_i2v + train_pose) with its training summary."""
    from motionctx_toy.bundled import BUNDLED
    from motionctx_toy.bundling import bundle_model

    pre, pose = models / "pretrain_i2v" / "train", models / "train_pose" / "train"
    out = bundle_model(pre / "model", pose / "lora.safetensors", {"pretrain_i2v": pre, "train_pose": pose}, dest or BUNDLED)
    out_console.print(f"bundled the toy model into {out}")
