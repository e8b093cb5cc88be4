"""``motionctx toy ...`` commands: the benchmark, the evaluation manifest and the bundle."""

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
    world: str = typer.Option("simple", "--world", help="the toy world of the cases: simple (the bundled model's), hard, or simple_quadruped (animals)"),
    pose_model: Path | None = typer.Option(
        None, "--pose-model", help="model fully trained on the pose layout, variant pose_full (default: the bundled model)"
    ),
    model: Path | None = typer.Option(
        None, "--model", help="the method's image-to-video base (variant no_lora; with --lora, variant pose)"
    ),
    lora: Path | None = typer.Option(None, "--lora", help="the method's pose LoRA on --model (variant pose)"),
    e2e_lora: Path | None = typer.Option(
        None, "--e2e-lora", help="also score an end-to-end LoRA on --model: the raw driving clip as the motion signal (variant e2e)"
    ),
    e2e_model: Path | None = typer.Option(
        None, "--e2e-model",
        help="the end-to-end model trained by recipes/toy/e2e.yaml, driven by raw clips (variant e2e_full)",
    ),
    steps: int = typer.Option(20, "--steps", min=1, help="denoising steps"),
    size: int | None = typer.Option(None, "--size", help="frame side in pixels (default: the world's)"),
    frames: int | None = typer.Option(None, "--frames", help="frames per case (default: the world's)"),
    line_scale: float = typer.Option(0.25, "--line-scale", help="skeleton stroke scale (as in training)"),
    rope_parts: int = typer.Option(
        2, "--rope-parts", min=1, help="the pose models' backbone rope_parts, as trained (2: halves share positions)"
    ),
    sheet_cases: int = typer.Option(
        4, "--sheet-cases", min=0, help="cases of the first seed drawn in a .png beside the report (0: none)"
    ),
) -> None:
    """Score copy-the-reference, the bundled model, (with --e2e-model) an end-to-end model and
    (with --model/--lora) the method's LoRA on held-out cross-identity cases.

    Writes the report JSON, a markdown table beside it and, unless --sheet-cases 0, a picture of
    what each variant drew for the first cases."""
    from rich.progress import track

    from motionctx.errors import InputError, WeightsError
    from motionctx.io import atomic_write_json, atomic_write_text, write_image
    from motionctx_toy.benchmark import default_variants, markdown_table, result_line, run_benchmark
    from motionctx_toy.bundled import bundled_model
    from motionctx_toy.sheet import benchmark_sheet
    from motionctx_toy.world import world_preset

    cases_world = world_preset(world, "heldout", **({"size": (size, size)} if size else {}),
                               **({"frames": frames} if frames else {}))
    pose_model = pose_model or bundled_model()
    for folder, flag in ((model, "--model"), (pose_model, "--pose-model"), (e2e_model, "--e2e-model")):
        if folder is not None and not (Path(folder) / "model_index.json").is_file():
            raise WeightsError(f"toy model folder {str(folder)!r} has no model_index.json",
                               f"train it with recipes/toy/ or fix {flag}")
    for file, flag in ((lora, "--lora"), (e2e_lora, "--e2e-lora")):
        if file is None:
            continue
        if model is None:
            raise InputError(f"{flag} needs the base model it was trained on", "pass --model too")
        if not file.is_file():
            raise WeightsError(f"LoRA file {str(file)!r} does not exist", f"train it with recipes/toy/ or fix {flag}")
    keep = _FirstCases(seed[0], sheet_cases)
    report = run_benchmark(
        default_variants(model, lora, motion={"render": {"line_scale": line_scale, "hands": False, "face": False}},
                         pose_model=pose_model, pose_backbone={"rope_parts": rope_parts} if rope_parts != 1 else None,
                         e2e_lora=e2e_lora, e2e_model=e2e_model),
        seeds=list(seed), cases=cases, world=cases_world, steps=steps,
        track=lambda jobs, what: track(jobs, description=what),
        on_output=keep.add,
    )
    report["world"]["name"] = world
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


@toy_app.command("manifest")
@handle_errors
def manifest_cmd(
    out: Path = typer.Option(Path("outputs/toy_manifest"), "--out", help="folder to write (replaced whole; its manifest.jsonl is the benchmark)"),
    cases: int = typer.Option(24, "--cases", min=1, help="number of held-out cases"),
    seed: int = typer.Option(0, "--seed", min=0, max=9999, help="benchmark seed; each gives its own cases"),
    world: str = typer.Option("simple", "--world", help="the toy world: simple (the bundled model's), hard, or simple_quadruped (animals)"),
    family: list[str] = typer.Option(
        ["humanoid", "quadruped", "bird"], "--family", help="body families the cases cycle through (repeatable)"
    ),
    several_every: int = typer.Option(4, "--several-every", min=0, help="every n-th case has two characters (0: never)"),
    frames: int | None = typer.Option(None, "--frames", min=1, help="frames per case (default: the world's)"),
    size: int | None = typer.Option(None, "--size", min=8, help="frame side in pixels (default: the world's)"),
) -> None:
    """Write held-out toy cases as a benchmark manifest for `motionctx evaluate`, with their targets,
    backgrounds and keypoints; categories: family and one or several characters."""
    from motionctx.errors import InputError
    from motionctx_toy.families import FAMILIES
    from motionctx_toy.manifest import write_toy_manifest

    unknown = [f for f in family if f not in FAMILIES]
    if unknown:
        raise InputError(f"unknown toy family {unknown[0]!r}", f"families: {', '.join(FAMILIES)}")
    path = write_toy_manifest(out, cases, seed=seed, world=world, families=tuple(dict.fromkeys(family)),
                              several_every=several_every, frames=frames, size=size)
    out_console.print(f"wrote {cases} cases: {path}")


@toy_app.command("bundle")
@handle_errors
def bundle_cmd(
    models: Path = typer.Option(Path("outputs/toy"), "--models", help="the toy recipes' output folder (TOY_OUTPUT)"),
    dest: Path | None = typer.Option(None, "--dest", help="where to write the bundle (default: the package's bundled/)"),
) -> None:
    """Bundle the model trained by recipes/toy/pose_full.yaml with its training summary."""
    import yaml

    from motionctx_toy.bundled import BUNDLED
    from motionctx_toy.bundling import bundle_model

    train = models / "pose_full" / "train"
    recipe = train / "recipe.yaml"
    backbone = yaml.safe_load(recipe.read_text(encoding="utf-8"))["parts"]["backbone"]["with"] if recipe.is_file() else {}
    kept = {k: backbone[k] for k in ("rope_parts", "max_sequence_length", "dtype") if k in backbone}
    out = bundle_model(train / "model", None, {"pose_full": train}, dest or BUNDLED, backbone=kept)
    out_console.print(f"bundled the toy model into {out}")
